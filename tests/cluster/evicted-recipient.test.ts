/**
 * A durable sender whose local recipient's tree leaves the node while the letter is being journaled
 * (its lease released, taken or expired: Kernel.evict). Found by the fault suite in CI: the send was
 * refused with E_NO_AGENT ("agent ... is killed") after the journal had taken the letter, the sender's
 * receive threw, and its `failed` transition committed on its own sound lease — the sender was dead for
 * good and every later letter to it was lost (with every effect it had applied orphaned).
 *
 * Now the letter counts as delivered (it is in the tree's journal, or went to the new owner through
 * cluster_mail): the sender goes on, and the recipient's next owner handles the letter once.
 */
import { describe, expect, it } from "vitest";
import type { AgentLogic } from "../../src/abi/index.js";
import { SimulatedClock, type AgentId } from "../../src/core/index.js";
import { useClusterDb } from "./cluster-db.js";
import { drain, keep, startNode, withNodes, type TestNode } from "./node-fixture.js";

const db = useClusterDb("evictedrcpt");

/** Run right after the sender's `ctx.send` started and before it resolved (once). */
let duringSend: (() => void) | undefined;

/** For `{ to }`: sends `{ n }` (its count so far + 1) to `to`, awaiting it; "get" answers the count. */
const sender: AgentLogic<{ sent: number }, unknown> = {
  init: () => ({ sent: 0 }),
  async receive(s, m, ctx) {
    if (m === "get") {
      ctx.reply(s.sent);
      return s;
    }
    const n = s.sent + 1;
    const sent = ctx.send((m as { to: string }).to as AgentId, { n });
    const hook = duringSend;
    duringSend = undefined;
    hook?.();
    await sent;
    return { sent: n };
  },
};

const clock = new SimulatedClock(Date.now());
const node = (name: string) => (): Promise<TestNode> => startNode({ postgres: db.url, clock, cluster: "evr", node: name, logics: { sender, keep } });

/** The node whose lease holds `id`'s tree now. */
function holder(nodes: readonly TestNode[], id: AgentId): TestNode | undefined {
  return nodes.find((n) => {
    const tree = n.svc.journal.streamKeyOf(id);
    return tree !== undefined && n.svc.node()?.held().has(tree) === true;
  });
}

async function until(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("a send to a local agent whose tree leaves the node while the letter is journaled", () => {
  it("is delivered to the tree's next owner; the sender goes on", async () => {
    const [n1, n2] = await withNodes(node("n1"), node("n2"));
    const here = { placement: { node: "n1" } };
    const s = await n1.os.spawn({ name: "s", kind: "code", logic: "sender", capabilities: ["agent:*#send"], durable: true, ...here });
    const r = await n1.os.spawn({ name: "r", kind: "code", logic: "keep", capabilities: [], durable: true, ...here });
    expect(await n1.os.request(r, "get")).toEqual([]);

    // The moment s's letter to r is on its way into r's journal, r's lease is given up on n1.
    let dropped = false;
    duringSend = () => {
      const tree = n1.svc.journal.streamKeyOf(r);
      const lease = tree === undefined ? undefined : n1.svc.node()?.held().get(tree);
      if (tree === undefined || lease === undefined) throw new Error("r is not held by n1");
      void n1.svc.node()?.drop(tree, lease.epoch, "released").then(() => (dropped = true));
    };
    await n1.os.send(s, { to: r });
    await until("r's lease released", () => dropped);
    expect(n1.os.kernel.find(r)).toBeUndefined();

    // s went on: it answers with its count, and sends again.
    await until("s handled its letter", async () => (await n1.os.request(s, "get").catch(() => undefined)) === 1);
    const crashed = n1.os.kernel.find(s)?.status;
    expect(crashed).toBe("running");

    // r comes back on whichever node takes its lease, with the letter once.
    let got: unknown;
    await until("r answers from its next owner with the letter", async () => {
      await drain(n2);
      await drain(n1);
      const h = holder([n1, n2], r);
      got = h === undefined ? undefined : await h.os.request(r, "get", { timeoutMs: 2_000 }).catch(() => undefined);
      return Array.isArray(got) && got.length > 0;
    });
    expect(got).toEqual([{ n: 1 }]);

    await n1.os.send(s, { to: r });
    await until("the second letter arrives too", async () => {
      await drain(n2);
      await drain(n1);
      const h = holder([n1, n2], r);
      got = h === undefined ? undefined : await h.os.request(r, "get", { timeoutMs: 2_000 }).catch(() => undefined);
      return Array.isArray(got) && got.length === 2;
    });
    expect(got).toEqual([{ n: 1 }, { n: 2 }]);
    expect(await n1.os.request(s, "get")).toBe(2);
  }, 60_000);
});
