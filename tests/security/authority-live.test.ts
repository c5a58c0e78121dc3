/**
 * Issue #15 item 7, from the attacker's side: revocation sticks and authority does not multiply.
 *   (a) a revoked spec token stays revoked across a daemon restart (a real data dir: revoke, shut
 *       down, boot again — the recovered agent is refused) and across a supervisor's restart;
 *   (b) an agent whose token was revoked cannot get the same rights back by spawning a child: the
 *       spawn rule reads the creator's LIVE tokens, not its spec strings; revoking a creator's token
 *       revokes what its children derived from it;
 *   (c) a counted capability (`max=2`) is one budget for the creator and everything it spawns.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { boot, silentLogger, type AgentId, type AgentLogic, type Aios } from "../../src/index.js";
import { SimulatedClock } from "../../src/core/index.js";
import { securitySubsystem } from "../../src/security/index.js";

const dirs: string[] = [];
const systems: Aios[] = [];
afterEach(async () => {
  for (const s of systems.splice(0)) await s.shutdown();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "aios-authz-"));
  dirs.push(d);
  return d;
}

const idle: AgentLogic<null> = { init: () => null, receive: (s) => s };
const logics = { idle };

/** The id of the token carrying `agent`'s spec capabilities (what `aios cap ls` shows). */
function specToken(os: Aios, agent: AgentId): string {
  const p = os.kernel.get(agent);
  const t = os.caps.checker.tokens(p).find((v) => v.blocks.length >= 1);
  if (t === undefined) throw new Error(`no token for ${agent}`);
  return t.id;
}

async function inMemory(): Promise<Aios> {
  const os = await boot({ stack: "bare", logger: silentLogger, add: [securitySubsystem()], logics });
  systems.push(os);
  return os;
}

describe("(a) a revoked spec token stays revoked", () => {
  it("after a daemon restart: the recovered agent is refused what its revoked token allowed", async () => {
    const dataDir = tempDir();
    const first = await boot({ dataDir, logger: silentLogger, subsystems: { embedder: false }, durable: true, logics });
    const id = await first.spawn({ name: "holder", kind: "code", logic: "idle", durable: true, capabilities: ["agent#spawn", "kernel#noop"] });
    await expect(first.syscall(id, "Noop", {})).resolves.toBeNull();
    expect(first.caps.checker.revoke("operator", specToken(first, id))).toBeGreaterThanOrEqual(1);
    await expect(first.syscall(id, "Noop", {})).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    await first.shutdown();
    // What a reader of the data dir sees: the agent itself is recorded, not only the token id.
    expect(readFileSync(join(dataDir, "security", "revoked.log"), "utf8")).toContain(`agent:${id}`);

    const second = await boot({ dataDir, logger: silentLogger, subsystems: { embedder: false }, durable: true, logics });
    systems.push(second);
    expect(second.status(id).status).toBe("running");
    await expect(second.syscall(id, "Noop", {})).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    await expect(second.syscall(id, "AgentSpawn", { spec: { name: "kid", kind: "code", logic: "idle", capabilities: ["kernel#noop"] } })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    // Another agent of the same spec, which nobody revoked, keeps its rights.
    const fresh = await second.spawn({ name: "holder", kind: "code", logic: "idle", capabilities: ["kernel#noop"] });
    await expect(second.syscall(fresh, "Noop", {})).resolves.toBeNull();
  });

  it("after a supervisor restarts the agent under the same id", async () => {
    const os = await inMemory();
    let crash = false;
    os.kernel.registerLogic("crashy", { init: () => null, receive: (s) => { if (crash) throw new Error("boom"); return s; } });
    const sup = await os.spawn({ name: "sup", kind: "supervisor", supervision: { intensity: 5, periodMs: 60_000 }, children: [{ name: "worker", kind: "code", logic: "crashy", capabilities: ["kernel#noop"] }] });
    const worker = os.tree().find((n) => n.id === sup)?.children[0]?.id as AgentId;
    os.caps.checker.revoke("operator", specToken(os, worker));
    await expect(os.syscall(worker, "Noop", {})).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    crash = true;
    await os.send(worker, "crash").catch(() => undefined);
    await os.kernel.wait(worker).catch(() => undefined);
    crash = false;
    const again = os.tree().find((n) => n.id === sup)?.children[0]?.id as AgentId;
    expect(again).toBe(worker);
    expect(os.status(again).incarnation).toBeGreaterThan(0);
    await expect(os.syscall(again, "Noop", {})).rejects.toMatchObject({ code: "E_CAP_DENIED" });
  });
});

describe("(b) spawn checks the creator's live authority", () => {
  it("a revoked agent cannot hand its old rights to a child", async () => {
    const os = await inMemory();
    const a = await os.spawn({ name: "attacker", kind: "code", logic: "idle", capabilities: ["kernel#noop"] });
    const spec = specToken(os, a);
    // It may still spawn (an operator grant of its own), but its spec token is revoked.
    os.caps.checker.adopt(os.kernel.get(a), os.caps.authority.mint({ holder: a, caps: ["agent#spawn"], scheme: "hybrid" }));
    os.caps.checker.revoke("operator", spec);
    await expect(os.syscall(a, "Noop", {})).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    // The spec still says kernel#noop; the attacker no longer holds it.
    await expect(os.syscall(a, "AgentSpawn", { spec: { name: "proxy", kind: "code", logic: "idle", capabilities: ["kernel#noop"] } })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    expect(os.ps().filter((p) => p.name.endsWith("proxy"))).toHaveLength(0);
  });

  it("a spawn check with a capability the creator never had is refused; one granted by the operator is passed on", async () => {
    const os = await inMemory();
    const a = await os.spawn({ name: "spawner", kind: "code", logic: "idle", capabilities: ["agent#spawn"] });
    await expect(os.syscall(a, "AgentSpawn", { spec: { name: "kid", kind: "code", logic: "idle", capabilities: ["kernel#noop"] } })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    const c = os.caps;
    c.checker.adopt(os.kernel.get(a), c.authority.mint({ holder: a, caps: ["kernel#noop"], scheme: "hybrid" }));
    const kid = (await os.syscall(a, "AgentSpawn", { spec: { name: "kid", kind: "code", logic: "idle", capabilities: ["kernel#noop"] } })).id;
    await expect(os.syscall(kid, "Noop", {})).resolves.toBeNull();
  });

  it("revoking the creator's token revokes what its children and grandchildren derived from it", async () => {
    const os = await inMemory();
    const a = await os.spawn({ name: "root", kind: "code", logic: "idle", capabilities: ["agent#spawn", "kernel#noop"] });
    const kid = (await os.syscall(a, "AgentSpawn", { spec: { name: "kid", kind: "code", logic: "idle", capabilities: ["agent#spawn", "kernel#noop"] } })).id;
    const grandkid = (await os.syscall(kid, "AgentSpawn", { spec: { name: "grandkid", kind: "code", logic: "idle", capabilities: ["kernel#noop"] } })).id;
    await expect(os.syscall(grandkid, "Noop", {})).resolves.toBeNull();
    os.caps.checker.revoke("operator", specToken(os, a));
    for (const id of [a, kid, grandkid]) await expect(os.syscall(id, "Noop", {})).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    // ...and none of them can spawn its way back.
    await expect(os.syscall(kid, "AgentSpawn", { spec: { name: "again", kind: "code", logic: "idle", capabilities: ["kernel#noop"] } })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
  });

  it("a child renews its tokens from its creator's as they expire, and stops once the creator is revoked", async () => {
    const clock = new SimulatedClock(1_000_000);
    const os = await boot({ stack: "bare", logger: silentLogger, clock, add: [securitySubsystem({ specTtlMs: 60_000 })], logics });
    systems.push(os);
    const a = await os.spawn({ name: "parent", kind: "code", logic: "idle", capabilities: ["agent#spawn", "kernel#noop"] });
    const kid = (await os.syscall(a, "AgentSpawn", { spec: { name: "kid", kind: "code", logic: "idle", capabilities: ["kernel#noop"] } })).id;
    for (let i = 0; i < 5; i++) {
      clock.advance(61_000);
      await expect(os.syscall(kid, "Noop", {})).resolves.toBeNull();
    }
    os.caps.checker.revoke("operator", specToken(os, a));
    clock.advance(61_000);
    await expect(os.syscall(kid, "Noop", {})).rejects.toMatchObject({ code: "E_CAP_DENIED" });
  });
});

describe("(c) a counted capability is one budget for a whole spawn tree", () => {
  it("max=2 gives 2 uses in total, not 2 + 2 per child", async () => {
    const os = await inMemory();
    const a = await os.spawn({ name: "reader", kind: "code", logic: "idle", capabilities: ["agent#spawn", "kernel#noop{max=2}"] });
    const kids: AgentId[] = [];
    for (let i = 0; i < 3; i++) kids.push((await os.syscall(a, "AgentSpawn", { spec: { name: `kid${i}`, kind: "code", logic: "idle", capabilities: ["kernel#noop{max=2}"] } })).id);
    let ok = 0;
    for (const id of [a, ...kids]) {
      for (let i = 0; i < 2; i++) {
        try {
          await os.syscall(id, "Noop", {});
          ok++;
        } catch (e) {
          expect(e).toMatchObject({ code: "E_QUOTA" });
        }
      }
    }
    expect(ok).toBe(2);
  });

  it("children cannot refill the counter by outliving a renewal of the creator's token", async () => {
    const clock = new SimulatedClock(1_000_000);
    const os = await boot({ stack: "bare", logger: silentLogger, clock, add: [securitySubsystem({ specTtlMs: 10_000 })], logics });
    systems.push(os);
    const a = await os.spawn({ name: "reader", kind: "code", logic: "idle", capabilities: ["agent#spawn", "kernel#noop{max=3}"] });
    const kid = (await os.syscall(a, "AgentSpawn", { spec: { name: "kid", kind: "code", logic: "idle", capabilities: ["kernel#noop{max=3}"] } })).id;
    let ok = 0;
    for (let round = 0; round < 4; round++) {
      clock.advance(11_000); // every token of the tree expires and is renewed
      for (const id of [a, kid]) {
        try {
          await os.syscall(id, "Noop", {});
          ok++;
        } catch (e) {
          expect(e).toMatchObject({ code: "E_QUOTA" });
        }
      }
    }
    expect(ok).toBe(3);
  });
});

describe("spawn-time delegation without a second verification", () => {
  it("delegateVerified returns what verify() returns for the same token, and refuses a revoked parent", async () => {
    const os = await inMemory();
    const a = os.caps.authority;
    for (const scheme of ["hmac", "ed25519", "hybrid"] as const) {
      const root = a.mintVerified({ holder: "ag_p", caps: ["kernel#noop{max=3}", "file:/data/**#read"], scheme, exp: os.kernel.clock.now() + 60_000 });
      const v = a.delegateVerified(root, { holder: "ag_c", caps: ["kernel#noop{max=2}"], exp: os.kernel.clock.now() + 30_000 });
      const again = a.verify(v.token);
      expect({ ...v, blocks: v.blocks.map((b) => b.map((c) => c.source)) }).toEqual({ ...again, blocks: again.blocks.map((b) => b.map((c) => c.source)) });
      a.revocations.revoke(root.id);
      expect(() => a.delegateVerified(root, { holder: "ag_c", caps: ["kernel#noop{max=1}"] })).toThrow(/revoked/);
    }
  });
});
