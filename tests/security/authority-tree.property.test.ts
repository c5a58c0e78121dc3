/**
 * Issue #15 item 7(c) as a property: on a random spawn tree, where every agent holds a counted
 * capability (`kernel#noop{max=m}`, m no larger than its creator's) and agents spawn and use it in a
 * random order, the uses across the whole tree never exceed the root's count — and once the root
 * spends what is left, the total is exactly that count (nothing is lost or counted twice). Each agent
 * also stays within its own `max`. A refused use is E_QUOTA, never anything else.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { boot, silentLogger, type AgentId, type AgentLogic, type Aios } from "../../src/index.js";
import { securitySubsystem } from "../../src/security/index.js";

const idle: AgentLogic<null> = { init: () => null, receive: (s) => s };
const systems: Aios[] = [];
afterEach(async () => {
  for (const s of systems.splice(0)) await s.shutdown();
});

type Op = { readonly spawn: number; readonly max: number } | { readonly use: number; readonly times: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ spawn: fc.nat(40), max: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ use: fc.nat(40), times: fc.integer({ min: 1, max: 4 }) }),
);

interface Node {
  readonly id: AgentId;
  readonly max: number;
  used: number;
}

async function tryUse(os: Aios, n: Node): Promise<boolean> {
  try {
    await os.syscall(n.id, "Noop", {});
    n.used++;
    return true;
  } catch (e) {
    expect(e).toMatchObject({ code: "E_QUOTA" });
    return false;
  }
}

describe("counted capabilities over random spawn trees (property)", () => {
  it("total uses across a tree never exceed the root's count, and reach it exactly", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.array(op, { minLength: 1, maxLength: 30 }), async (rootMax, ops) => {
        const os = await boot({ stack: "bare", logger: silentLogger, add: [securitySubsystem()], logics: { idle } });
        systems.push(os);
        const caps = (max: number): string[] => ["agent#spawn", `kernel#noop{max=${max}}`];
        const nodes: Node[] = [{ id: await os.spawn({ name: "root", kind: "code", logic: "idle", capabilities: caps(rootMax) }), max: rootMax, used: 0 }];
        let total = 0;
        for (const o of ops) {
          if ("spawn" in o) {
            const parent = nodes[o.spawn % nodes.length] as Node;
            // A child may ask for no more than its creator's max (the attenuation rule refuses more).
            const max = Math.min(o.max, parent.max);
            const r = await os.syscall(parent.id, "AgentSpawn", { spec: { name: `n${nodes.length}`, kind: "code", logic: "idle", capabilities: caps(max) } });
            nodes.push({ id: r.id, max, used: 0 });
          } else {
            const n = nodes[o.use % nodes.length] as Node;
            for (let i = 0; i < o.times; i++) if (await tryUse(os, n)) total++;
          }
          expect(total).toBeLessThanOrEqual(rootMax);
        }
        for (const n of nodes) expect(n.used).toBeLessThanOrEqual(n.max);
        const root = nodes[0] as Node;
        while (await tryUse(os, root)) total++;
        expect(total).toBe(rootMax);
        await os.shutdown();
        systems.splice(systems.indexOf(os), 1);
      }),
      { numRuns: 25 },
    );
  });
});
