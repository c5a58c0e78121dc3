import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ALL_STATUSES, isAiosError, type Aios, type Proc, type TreeNode } from "../../src/index.js";
import { bootSim, counter, settle } from "./helpers.js";

type Op =
  | { kind: "spawn"; parent: number; supervisor: boolean }
  | { kind: "pause" | "resume" | "kill" | "crash" | "stop" | "clone"; target: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("spawn" as const), parent: fc.nat(20), supervisor: fc.boolean() }),
  fc.record({ kind: fc.constantFrom("pause", "resume", "kill", "crash", "stop", "clone"), target: fc.nat(20) }),
);

async function apply(os: Aios, ids: string[], op: Op): Promise<void> {
  if (op.kind === "spawn") {
    const parent = ids.length === 0 || op.parent % 3 === 0 ? undefined : ids[op.parent % ids.length];
    const spec = op.supervisor
      ? { name: "s", kind: "supervisor" as const, supervision: { intensity: 2 }, children: [{ name: "w", kind: "code" as const, logic: counter }] }
      : { name: "w", kind: "code" as const, logic: counter };
    try {
      ids.push(await os.kernel.spawn(spec, parent === undefined ? {} : { parent }));
    } catch (e) {
      if (!isAiosError(e, "E_NO_AGENT")) throw e;
    }
    return;
  }
  if (ids.length === 0) return;
  const id = ids[op.target % ids.length] as string;
  const before = os.status(id).status;
  try {
    if (op.kind === "pause") await os.pause(id);
    else if (op.kind === "resume") await os.resume(id);
    else if (op.kind === "kill") await os.kill(id);
    else if (op.kind === "crash") await os.send(id, "boom");
    else if (op.kind === "stop") await os.send(id, "stop");
    else ids.push(await os.clone(id));
  } catch (e) {
    // Refused operations leave the agent as it was, with a clear code.
    expect(isAiosError(e, "E_ILLEGAL_TRANSITION") || isAiosError(e, "E_NO_AGENT")).toBe(true);
    expect(os.status(id).status).toBe(before);
  }
  await settle(2);
}

function checkConsistent(os: Aios): void {
  const table = os.kernel.table;
  let counted = 0;
  const walk = (n: TreeNode): void => {
    counted++;
    n.children.forEach(walk);
  };
  os.tree().forEach(walk);
  expect(counted).toBe(table.size);
  for (const p of table.values() as Iterable<Proc>) {
    expect(ALL_STATUSES).toContain(p.status);
    if (p.parent !== null) {
      expect(table.get(p.parent.id)).toBe(p.parent);
      expect(p.parent.children).toContain(p);
    }
    for (const c of p.children ?? []) expect(c.parent).toBe(p);
    if (p.queued) expect(p.status).toBe("running");
    if (p.sup !== null && p.status === "running") {
      for (const cid of p.sup.order) expect(table.get(cid)?.parent).toBe(p);
    }
    if (p.status === "completed" || p.status === "failed" || p.status === "killed") expect(p.mailbox?.length ?? 0).toBe(0);
  }
}

describe("lifecycle invariants (property)", () => {
  it("random operation sequences never reach an illegal state; table and tree agree", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        const { os } = await bootSim();
        const ids: string[] = [];
        for (const op of ops) {
          await apply(os, ids, op);
          checkConsistent(os);
        }
        await settle();
        checkConsistent(os);
        await os.shutdown();
        for (const p of os.kernel.table.values()) expect(["completed", "failed", "killed"]).toContain(p.status);
      }),
      { numRuns: 60 },
    );
  });
});
