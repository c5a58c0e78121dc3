/**
 * A plain letter is never taken for an envelope (docs/adr/0083), on the default stack. The attacker
 * is an agent with `agent:*#send` that copies a genuine envelope another agent sent (its `from`, its
 * valid signature) into the payload of a plain letter: before, the recipient's `isEnvelope(m)` said
 * yes and `m.from` named the victim, and a recipient whose signature policy requires signed messages
 * still took the letter (only envelopes passed ipc/'s checks). Now the kernel tells the recipient
 * which letters ipc/ admitted (`ctx.enveloped`, `envelopeOf(m, ctx)`), across a restart and in an
 * isolated guest too, and a recipient that requires signatures refuses an agent's plain letters by
 * every route (the operator's, which claim no agent, are still taken).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { boot, silentLogger, type AgentContext, type AgentId, type AgentLogic, type Aios, type KernelEvent } from "../../src/index.js";
import { envelopeOf, ipcOf, isEnvelope } from "../../src/ipc/index.js";

interface Seen {
  readonly enveloped: boolean;
  readonly sender: string | null;
  /** envelopeOf(m, ctx)?.from */
  readonly signer: string | null;
  readonly shaped: boolean;
  readonly payload: unknown;
}

const seen = (m: unknown, ctx: AgentContext): Seen => ({
  enveloped: ctx.enveloped, sender: ctx.sender ?? null, signer: envelopeOf(m, ctx)?.from ?? null, shaped: isEnvelope(m),
  payload: isEnvelope(m) ? m.payload : m,
});

/** Records every message as it saw it; a request for "state" is answered with the record. */
const recorder: AgentLogic<Seen[]> = {
  init: () => [],
  receive: (s, m, ctx) => {
    if (m === "state") {
      ctx.reply(s);
      return s;
    }
    return [...s, seen(m, ctx)];
  },
};

/** Sends what it is told to: `{ to, payload }` by ctx.send, `{ ask, payload }` by ctx.request; answers with the outcome's code. */
const sender: AgentLogic<null> = {
  init: () => null,
  receive: async (s, m, ctx) => {
    const o = m as { to?: AgentId; ask?: AgentId; payload: unknown };
    try {
      if (o.ask !== undefined) await ctx.request(o.ask, o.payload, { timeoutMs: 2_000 });
      else await ctx.send(o.to as AgentId, o.payload);
      ctx.reply("ok");
    } catch (e) {
      ctx.reply((e as { code?: string }).code ?? String(e));
    }
    return s;
  },
};

const dirs: string[] = [];
const systems: Aios[] = [];
afterEach(async () => {
  for (const os of systems.splice(0)) await os.shutdown();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function stack(dataDir?: string, extra: { moduleRoots?: string[] } = {}): Promise<Aios> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), "aios-forged-env-"));
  if (dataDir === undefined) dirs.push(dir);
  const os = await boot({ dataDir: dir, logger: silentLogger, subsystems: { embedder: false, memory: false, mcp: false }, logics: { "t.recorder": recorder, "t.sender": sender }, ...extra });
  systems.push(os);
  return os;
}

const code = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return "ok";
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
};

async function until(f: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await f()); i++) await new Promise((r) => setTimeout(r, 10));
}

/** Alice and Mallory, who send what they are told to (`agent:*#send` each). */
async function senders(os: Aios): Promise<{ alice: AgentId; mallory: AgentId }> {
  const alice = await os.spawn({ name: "alice", kind: "code", logic: "t.sender", capabilities: ["agent:*#send"] });
  const mallory = await os.spawn({ name: "mallory", kind: "code", logic: "t.sender", capabilities: ["agent:*#send"] });
  return { alice, mallory };
}

/** What `to` answers to "state" once it has recorded at least `n` messages (the last answer after 2 s). */
async function recorded<T>(os: Aios, to: AgentId, n: number): Promise<T[]> {
  let got: T[] = [];
  await until(async () => (got = (await os.request(to, "state")) as T[]).length >= n);
  return got;
}

describe("a plain letter shaped like an envelope", () => {
  it("is not taken for one: ctx.enveloped and envelopeOf tell the letters ipc/ admitted", async () => {
    const os = await stack();
    const bob = await os.spawn({ name: "bob", kind: "code", logic: "t.recorder" });
    const { alice, mallory } = await senders(os);
    // The attacker holds a real envelope of Alice's, her valid signature and all (as one she sent it would be).
    const { env } = ipcOf(os).build(os.kernel.find(alice), { to: bob, payload: { order: 42 }, performative: "request" });
    expect(env.signature).toBeDefined();
    await os.syscall(alice, "SemanticSend", { to: bob, payload: { order: 1 }, performative: "request" });
    // Replayed as a plain letter, by ctx.send and by a plain SemanticSend, and by the operator.
    expect(await os.request(mallory, { to: bob, payload: env })).toBe("ok");
    await os.syscall(mallory, "SemanticSend", { to: bob, payload: { ...env, payload: { order: 666 } } });
    await os.send(bob, env);
    expect(await recorded<Seen>(os, bob, 4)).toEqual([
      { enveloped: true, sender: alice, signer: alice, shaped: true, payload: { order: 1 } },
      { enveloped: false, sender: mallory, signer: null, shaped: true, payload: { order: 42 } },
      { enveloped: false, sender: mallory, signer: null, shaped: true, payload: { order: 666 } },
      { enveloped: false, sender: null, signer: null, shaped: true, payload: { order: 42 } },
    ]);
    // A request is plain too; the request for the state itself was answered by a plain letter's ctx.
    const probe = await os.spawn({ name: "probe", kind: "code", logic: { receive: (s: null, m: unknown, ctx: AgentContext) => (ctx.reply(seen(m, ctx)), s) } });
    expect(await os.request(probe, env)).toMatchObject({ enveloped: false, signer: null, shaped: true });
  });

  it("from an agent is refused, by every route, by an agent that requires signed messages", async () => {
    const os = await stack();
    const bob = await os.spawn({ name: "bob", kind: "code", logic: "t.recorder" });
    const { alice, mallory } = await senders(os);
    const refused: KernelEvent[] = [];
    const sub = os.kernel.events.subscribe({ types: ["mailbox.refused"] }, (e) => void refused.push(e));
    const { env } = ipcOf(os).build(os.kernel.find(alice), { to: bob, payload: { order: 42 } });
    ipcOf(os).signatures.setAgent(bob, "required");
    expect(await os.request(mallory, { to: bob, payload: env })).toBe("E_AUTH"); // ctx.send
    expect(await os.request(mallory, { ask: bob, payload: env })).toBe("E_AUTH"); // ctx.request
    expect(await code(os.syscall(mallory, "SemanticSend", { to: bob, payload: env }))).toBe("E_AUTH"); // plain SemanticSend
    expect(await code(os.syscall(mallory, "AgentRequest", { to: bob, payload: env }))).toBe("E_AUTH");
    // Alice's envelope, signed, is delivered; so is the operator's plain letter (it claims no agent).
    await os.syscall(alice, "SemanticSend", { to: bob, payload: { order: 1 }, performative: "inform" });
    await os.send(bob, env);
    expect(await recorded<Seen>(os, bob, 2)).toEqual([
      { enveloped: true, sender: alice, signer: alice, shaped: true, payload: { order: 1 } },
      { enveloped: false, sender: null, signer: null, shaped: true, payload: { order: 42 } },
    ]);
    await until(async () => refused.length >= 4);
    sub.unsubscribe();
    expect(refused.length).toBe(4);
    expect(refused.map((e) => [e.type, e.agent, e.severity])).toEqual(Array(4).fill(["mailbox.refused", mallory, "warn"]));
    expect(refused.every((e) => { const d = e.data as { to: string; reason: string }; return d.to === bob && /requires signed messages/.test(d.reason); })).toBe(true);
    // A tenant-wide requirement holds the same, and lifting it lets plain letters in again.
    const carol = await os.spawn({ name: "carol", kind: "code", logic: "t.recorder", tenant: "acme" });
    ipcOf(os).signatures.setTenant("acme", "required");
    expect(await os.request(mallory, { to: carol, payload: "plain" })).toBe("E_AUTH");
    ipcOf(os).signatures.setAgent(bob, "optional");
    expect(await os.request(mallory, { to: bob, payload: "plain" })).toBe("ok");
    ipcOf(os).signatures.setTenant("acme", "optional");
    expect(await os.request(mallory, { to: carol, payload: "plain" })).toBe("ok");
  });

  it("keeps what it was across a restart of a durable recipient", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-forged-env-"));
    dirs.push(dir);
    let os = await stack(dir);
    const bob = await os.spawn({ name: "bob", kind: "code", logic: "t.recorder", durable: true });
    const { alice, mallory } = await senders(os);
    const { env } = ipcOf(os).build(os.kernel.find(alice), { to: bob, payload: { order: 42 } });
    // Held in the journal, unhandled, over the restart.
    await os.pause(bob);
    await os.syscall(alice, "SemanticSend", { to: bob, payload: { order: 1 }, performative: "inform" });
    expect(await os.request(mallory, { to: bob, payload: env })).toBe("ok");
    await os.shutdown();
    systems.splice(systems.indexOf(os), 1);
    os = await stack(dir);
    if (os.ps({ limit: 10 }).find((a) => a.id === bob)?.status === "paused") await os.resume(bob);
    expect(await recorded<Seen>(os, bob, 2)).toEqual([
      { enveloped: true, sender: alice, signer: alice, shaped: true, payload: { order: 1 } },
      { enveloped: false, sender: mallory, signer: null, shaped: true, payload: { order: 42 } },
    ]);
  });

  it("is told apart inside an isolated guest too", async () => {
    const root = mkdtempSync(join(tmpdir(), "aios-forged-env-mod-"));
    dirs.push(root);
    const mod = join(root, "guest.mjs");
    writeFileSync(mod, `export default {
  init: () => [],
  receive(s, m, ctx) {
    if (m === "state") { ctx.reply(s); return s; }
    return [...s, [ctx.enveloped, ctx.sender ?? null]];
  },
};
`);
    const os = await stack(undefined, { moduleRoots: [root] });
    const guest = await os.spawn({ name: "guest", kind: "code", module: mod, isolation: "isolated" });
    const { alice, mallory } = await senders(os);
    const { env } = ipcOf(os).build(os.kernel.find(alice), { to: guest, payload: 1 });
    await os.syscall(alice, "SemanticSend", { to: guest, payload: 1, performative: "inform" });
    expect(await os.request(mallory, { to: guest, payload: env })).toBe("ok");
    expect(await recorded(os, guest, 2)).toEqual([[true, alice], [false, mallory]]);
  });
});
