/**
 * Backpressure across nodes (docs/adr/0046) on a real PostgreSQL and nats-server: the owner moves
 * into an agent's journal only what its mailbox has room for, and a sender meets the bound on the rows
 * still waiting for it in cluster_mail. A sender that asked to fail gets E_MAILBOX_FULL (retryable,
 * naming the agent, the rows waiting and the limit); one that may wait is parked on its own node
 * (docs/adr/0069), a send and a request in order, until the agent caught up.
 */
import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/index.js";
import type { AgentLogic } from "../../src/abi/index.js";
import { useClusterDb } from "./cluster-db.js";
import { drain, startNode, withNodes } from "./node-fixture.js";

const db = useClusterDb("xback", { nats: true });

let open: () => void = () => undefined;
const gate = new Promise<void>((r) => (open = r));

/** Keeps what it gets, but handles nothing until the test opens the gate ("get" answers the list). */
const gated: AgentLogic<{ got: unknown[] }, unknown> = {
  init: () => ({ got: [] }),
  receive: async (s, m, ctx) => {
    if (m === "get") {
      ctx.reply(s.got);
      return s;
    }
    await gate;
    return { got: [...s.got, m] };
  },
};

async function waitingFor(agent: string): Promise<number> {
  const r = await db.pool.query("SELECT count(*) AS n FROM cluster_mail WHERE cluster = 'bp1' AND agent = $1 AND NOT taken", [agent]);
  return Number(r.rows[0]?.["n"]);
}

describe("backpressure across nodes", () => {
  it("pushes back on senders on another node once the recipient's mailbox and its waiting rows are full", async () => {
    const clock = new SimulatedClock();
    const [a, b] = await withNodes(() => startNode({ postgres: db.url, nats: db.nats.url, clock, cluster: "bp1", node: "a", logics: { gated } }), () => startNode({ postgres: db.url, nats: db.nats.url, clock, cluster: "bp1", node: "b", logics: { gated }, mailboxRows: 3 }));
    const slow = await a.os.spawn({ name: "slow", kind: "code", logic: "gated", mailbox: { capacity: 2 } });
    // Two letters fill its mailbox (the first is being handled, held at the gate); three wait in rows.
    for (let i = 1; i <= 5; i++) {
      await b.os.send(slow, i);
      await drain(a);
    }
    expect(await waitingFor(slow)).toBe(3);
    // A sender that asked to fail is refused, with the figures.
    const full = await (async () => b.os.kernel.deliver(undefined, slow, 6, "fail", undefined))().catch((e: unknown) => e);
    expect(full).toMatchObject({ code: "E_MAILBOX_FULL", retryable: true, details: { agent: slow, waiting: 3, limit: 3 } });
    expect(await waitingFor(slow)).toBe(3);

    // One that may wait (the default, as on one node) parks on its own node: a send, then a request
    // behind it. Their node tries again and again; nothing is stored while the rows are at the bound.
    let sent = false;
    const parkedSend = b.os.send(slow, 7).then(() => void (sent = true));
    const parkedGet = b.os.request(slow, "get", { timeoutMs: 25_000 });
    for (let i = 0; i < 5; i++) {
      clock.advance(300);
      await drain(a);
      await drain(b);
    }
    expect(sent).toBe(false);
    expect(b.svc.journal.parkedLetters).toBe(2);
    expect(await waitingFor(slow)).toBe(3);

    // The agent catches up: its owner moves the waiting rows as room comes, the parked letters are
    // stored in the order they were sent (the send acknowledged then), and the request is answered.
    open();
    let answer: unknown;
    void parkedGet.then((v) => (answer = v));
    for (let i = 0; i < 200 && answer === undefined; i++) {
      clock.advance(300);
      await drain(a);
      await drain(b);
    }
    await parkedSend;
    expect(sent).toBe(true);
    expect(answer).toEqual([1, 2, 3, 4, 5, 7]);
    expect(b.svc.journal.parkedLetters).toBe(0);
    await b.os.send(slow, 8);
    let got: unknown[] = [];
    for (let i = 0; i < 100 && got.length < 7; i++) {
      await drain(a);
      got = (await a.os.request(slow, "get")) as unknown[];
    }
    expect(got).toEqual([1, 2, 3, 4, 5, 7, 8]);
  }, 30_000);
});
