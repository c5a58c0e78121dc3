/**
 * An agent activation that ended acts no more. A callback of its logic that runs later — a timer, a
 * promise settled after the kill — used to keep sending: the send's fast path reused the capability
 * decision cached on the process while it ran, so a killed agent's timer delivered its message, and
 * a supervised agent's previous incarnation sent after the restart as if it were the new one. Every
 * effect of an ended activation (send, request, spawn, any syscall) is now refused with E_CANCELLED
 * naming the ended status, audited and emitted as a denial; the new incarnation's own sends go on.
 * A paused agent's callbacks are refused the same way until it is resumed (they used to send).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { boot, silentLogger, type AgentContext, type AgentId, type Aios } from "../../src/index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function system(stack: "bare" | "default"): Promise<Aios> {
  if (stack === "bare") return boot({ stack: "bare", logger: silentLogger });
  const dataDir = mkdtempSync(join(tmpdir(), "aios-ended-"));
  dirs.push(dataDir);
  return boot({ dataDir, logger: silentLogger, subsystems: { embedder: false } });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Each receive leaves a callback that, once released, makes every kind of effect and notes how each ended. */
function lingering(peer: AgentId, release: Promise<void>, outcomes: string[]) {
  const note = (what: string, r: unknown): void => {
    Promise.resolve(r).then(
      () => outcomes.push(`${what} ok`),
      (e: unknown) => outcomes.push(`${what} ${(e as { code?: string }).code ?? String(e)}`),
    );
  };
  return {
    init: () => null,
    receive: (s: null, m: unknown, ctx: AgentContext) => {
      if (m === "crash") throw new Error("boom");
      void release.then(() => {
        note("send", ctx.send(peer, `late ${String(m)}`));
        note("request", ctx.request(peer, "ping", { timeoutMs: 500 }));
        note("spawn", ctx.spawn({ name: "orphan", kind: "code", logic: { init: () => null, receive: (x: null) => x } }));
        note("syscall", ctx.sys.Noop({}));
      });
      return s;
    },
  };
}

/** What the lingering agent may do, and what a refused or a made round of its four effects notes. */
const CAPS = ["agent:*#send", "agent#spawn", "kernel#noop"];
const REFUSED = ["request E_CANCELLED", "send E_CANCELLED", "spawn E_CANCELLED", "syscall E_CANCELLED"];
const MADE = ["request ok", "send ok", "spawn ok", "syscall ok"];

/** A peer noting what it gets, and the lingering logic aimed at it, its callbacks held until `open()`. */
async function scene(os: Aios) {
  const got: unknown[] = [];
  const peer = await os.spawn({ name: "peer", kind: "code", logic: { init: () => null, receive: (s: null, m: unknown, ctx: AgentContext) => { got.push(m); ctx.reply("pong"); return s; } } });
  let opened: () => void = () => undefined;
  const release = new Promise<void>((r) => (opened = r));
  const outcomes: string[] = [];
  return { got, peer, outcomes, open: () => opened(), logic: lingering(peer, release, outcomes) };
}

/** The `n`th round of four outcomes (1-based), in order of name, once all four are noted. */
async function round(outcomes: readonly string[], n: number): Promise<string[]> {
  while (outcomes.length < 4 * n) await sleep(5);
  return outcomes.slice(4 * (n - 1), 4 * n).sort();
}

describe.each(["bare", "default"] as const)("an ended activation's late effects (%s stack)", (stack) => {
  it("a killed agent's timer sends nothing, spawns nothing, calls nothing", async () => {
    const os = await system(stack);
    const { got, peer, outcomes, open, logic } = await scene(os);
    const denied: string[] = [];
    os.events.subscribe({ types: ["syscall.denied"] }, (e) => void denied.push((e.data as { name: string }).name));
    const agent = await os.spawn({ name: "ghost", kind: "code", capabilities: CAPS, logic });
    await os.send(agent, "one");
    await sleep(20);
    await os.kill(agent, "test");
    open();
    expect(await round(outcomes, 1)).toEqual(REFUSED);
    await sleep(20);
    expect(got).toEqual([]);
    expect(os.ps().some((p) => p.name === "orphan")).toBe(false);
    expect(os.ps().find((p) => p.id === peer)?.status).toBe("running");
    expect(denied.sort()).toEqual(["AgentRequest", "AgentSpawn", "Noop", "SemanticSend"]);
    await os.shutdown();
  });

  it("a paused agent's timer acts only once the agent is resumed", async () => {
    const os = await system(stack);
    const { got, outcomes, open, logic } = await scene(os);
    const agent = await os.spawn({ name: "napper", kind: "code", capabilities: CAPS, logic });
    await os.send(agent, "one");
    await sleep(20);
    await os.pause(agent);
    open();
    expect(await round(outcomes, 1)).toEqual(REFUSED);
    await sleep(20);
    expect(got).toEqual([]);
    // Resumed, it acts again (the release is open now: the next receive's callback runs at once).
    await os.resume(agent);
    await os.send(agent, "two");
    expect(await round(outcomes, 2)).toEqual(MADE);
    await os.shutdown();
  });

  it("a restarted agent's previous incarnation sends nothing; the new one does", async () => {
    const os = await system(stack);
    const { got, outcomes, open, logic } = await scene(os);
    await os.spawn({ name: "sup", kind: "supervisor", children: [{ name: "kid", kind: "code", restart: "permanent", capabilities: CAPS, logic }] });
    const kid = (): AgentId | undefined => os.ps().find((p) => p.name === "kid" && p.status === "running")?.id;
    while (kid() === undefined) await sleep(5);
    const id = kid() as AgentId;
    let crashed = false;
    os.events.subscribe({ types: ["agent.crashed"] }, () => void (crashed = true));
    await os.send(id, "first");
    await sleep(20);
    await os.send(id, "crash");
    while (!crashed || kid() === undefined) await sleep(5);
    open();
    expect(await round(outcomes, 1)).toEqual(REFUSED);
    expect(got).toEqual([]);
    // The new incarnation, under the same id, acts: its callback's send and request arrive.
    await os.send(id, "second");
    expect(await round(outcomes, 2)).toEqual(MADE);
    expect(got).toEqual(["late second", "ping"]);
    await os.shutdown();
  });
});
