/**
 * A durable agent whose new state its journal cannot hold (a BigInt, a cycle). It used to answer
 * its request with the new state's result, run on with a state no restart could come back to, and
 * leave the handled letter unacknowledged in the journal, so a restart handled it again. Now it
 * crashes as if its receive had thrown: the requester gets the crash, naming the path to the value;
 * the journal keeps the last checkpoint and the agent's end; a restart does not bring it back.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { boot, isAiosError, storeSubsystem, type AgentContext, type AgentId, type AgentLogic, type Aios } from "../../src/index.js";

const dirs: string[] = [];
const systems: Aios[] = [];
afterEach(async () => {
  for (const s of systems.splice(0)) await s.shutdown();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

type State = { n: number | bigint; self?: unknown };
const holder: AgentLogic<State> = {
  init: () => ({ n: 0 }),
  receive: async (s, m, ctx: AgentContext) => {
    if (m === "send-bigint") {
      const sent = await (async () => ctx.send(ctx.self, { big: 1n }))().then(() => "sent", (e: unknown) => e);
      ctx.reply(sent);
      return s;
    }
    ctx.reply(`ok ${String(m)}`);
    if (m === "bigint") return { n: 10n };
    if (m === "cycle") {
      const c: State = { n: 1 };
      c.self = c;
      return c;
    }
    return { n: Number(s.n) + 1 };
  },
};

async function bootAt(dataDir: string): Promise<Aios> {
  const os = await boot({ dataDir, stack: "bare", durable: true, logics: { holder }, add: [storeSubsystem({ dataDir })] });
  systems.push(os);
  return os;
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "aios-unencodable-"));
  dirs.push(d);
  return d;
}

describe("a durable agent's state its journal cannot hold", () => {
  it.each([
    ["bigint", "checkpoint.n", /BigInt/],
    ["cycle", "checkpoint.self", /circular/i],
  ])("%s: the request gets the crash naming the path, and the reply given before it is withheld", async (what, path, why) => {
    const os = await bootAt(tempDir());
    const id = await os.spawn({ name: "holder", kind: "code", logic: "holder" });
    expect(await os.request(id, "one")).toBe("ok one");
    const err = await os.request(id, what).then(() => undefined, (e: unknown) => e);
    expect(isAiosError(err, "E_AGENT_CRASHED")).toBe(true);
    expect((err as Error).message).toContain("returned a state its journal cannot hold");
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toMatch(why);
    expect(os.status(id).status).toBe("failed");
  });

  it("a restart finds the agent failed at its last good checkpoint, not running the unjournaled state", async () => {
    const dir = tempDir();
    let os = await bootAt(dir);
    const id = await os.spawn({ name: "holder", kind: "code", logic: "holder" });
    expect(await os.request(id, "one")).toBe("ok one");
    await expect(os.request(id, "bigint")).rejects.toSatisfy((e) => isAiosError(e, "E_AGENT_CRASHED"));
    await os.shutdown();
    systems.splice(0);
    os = await bootAt(dir);
    // Its end was journaled: an ended agent is not brought back (and so neither is the state).
    expect(os.ps().map((a) => a.id)).not.toContain(id);
  });

  it("a letter whose payload JSON cannot hold is refused to its sender, naming the path", async () => {
    const os = await bootAt(tempDir());
    const id = await os.spawn({ name: "holder", kind: "code", logic: "holder", capabilities: ["agent:*#send"] });
    const out = await os.request(id, "send-bigint");
    expect(isAiosError(out, "E_INVALID_ARG")).toBe(true);
    expect((out as Error).message).toContain("enqueue is not JSON-serialisable at payload.big");
    expect(os.status(id).status).toBe("running");
  });

  it("a hostile sender cannot end a durable agent with a letter JSON cannot hold (it once ended both)", async () => {
    const os = await bootAt(tempDir());
    const victim = await os.spawn({ name: "victim", kind: "code", logic: "holder" });
    const attacker = await os.spawn({
      name: "attacker", kind: "code", ephemeral: true, capabilities: ["agent:*#send"],
      logic: {
        receive: async (s: null, m: unknown, ctx: AgentContext) => {
          const cycle: Record<string, unknown> = {};
          cycle["self"] = cycle;
          const out: unknown[] = [];
          for (const payload of [{ big: 1n }, cycle, [1, 2n]]) out.push(await (async () => ctx.send(m as AgentId, payload))().then(() => "sent", (e: unknown) => e));
          ctx.reply(out);
          return s;
        },
      },
    });
    const refusals = (await os.request(attacker, victim)) as unknown[];
    expect(refusals.map((e) => isAiosError(e, "E_INVALID_ARG"))).toEqual([true, true, true]);
    expect(refusals.map((e) => /at (payload\.big|payload\.self|payload\.1):/.test((e as Error).message))).toEqual([true, true, true]);
    await expect(os.send(victim, { big: 2n })).rejects.toSatisfy((e) => isAiosError(e, "E_INVALID_ARG"));
    expect(os.status(victim).status).toBe("running");
    expect(os.status(attacker).status).toBe("running");
    expect(await os.request(victim, "still there")).toBe("ok still there");
  });
});
