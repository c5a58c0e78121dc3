/**
 * Agent keys that only bind in-process HMAC spec tokens stay in memory (no key file per spawned
 * agent) and go with their agent; anything that must outlive the process — a public-key token, an
 * adopted operator grant, a signed message's key asked for without `volatile` — puts the key on
 * disk first, and a released agent keeps a persisted key.
 */
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SimulatedClock, type AgentId, type TenantId } from "../../src/core/index.js";
import type { Caller } from "../../src/abi/index.js";
import { FileKeyStore, Identities, Security } from "../../src/security/index.js";

const caller = (agent: string, capabilities: string[] = []): Caller => ({
  agent: agent as AgentId, tenant: "t1" as TenantId, name: `name-${agent}`, capabilities, taint: new Set(), priority: 0,
});

function secWithDir(): { sec: Security; dir: string; store: FileKeyStore } {
  const dir = mkdtempSync(join(tmpdir(), "aios-volatile-"));
  const sec = new Security({ clock: new SimulatedClock(), dataDir: dir });
  return { sec, dir, store: sec.identities.store as FileKeyStore };
}

describe("volatile agent keys", () => {
  it("a spec grant (HMAC) binds a key held in memory only, released when the agent is forgotten", () => {
    const { sec, store } = secWithDir();
    const files = readdirSync(store.dir).length;
    const a = caller("ag_a", ["tool:add#call"]);
    expect(sec.checker.check(a, { resource: "tool:add", action: "call" }).allowed).toBe(true);
    const key = sec.identities.current("ag_a");
    expect(key).toBeDefined();
    expect(store.isVolatile(key!.id)).toBe(true);
    expect(store.fileOf("ag_a")).toBeUndefined();
    expect(readdirSync(store.dir)).toHaveLength(files);
    sec.checker.forget(a);
    expect(sec.identities.current("ag_a")).toBeUndefined();
    expect(sec.identities.store.get(key!.id)).toBeUndefined();
    // A new wallet binds a new key and still allows.
    expect(sec.checker.check(a, { resource: "tool:add", action: "call" }).allowed).toBe(true);
    sec.close();
  });

  it("a public-key token, or a key asked for without volatile, is written before it is used", () => {
    const { sec, store } = secWithDir();
    sec.checker.check(caller("ag_b", ["x#y"]), { resource: "x", action: "y" });
    const volatileKey = sec.identities.current("ag_b")!;
    // e.g. IPC signing a message with the agent's key: the same key, now on disk.
    const signing = sec.identities.ensure("ag_b", "ed25519");
    expect(signing.id).toBe(volatileKey.id);
    expect(store.isVolatile(signing.id)).toBe(false);
    expect(existsSync(store.fileOf("ag_b")!)).toBe(true);
    sec.checker.forget(caller("ag_b"));
    expect(sec.identities.current("ag_b")?.id).toBe(signing.id);

    sec.authority.mint({ holder: "ag_c", caps: ["x#y"], scheme: "ed25519", exp: sec.clock.now() + 1000 });
    const c = sec.identities.current("ag_c")!;
    expect(store.isVolatile(c.id)).toBe(false);
    expect(new Identities(new FileKeyStore(join(store.dir, "..")), sec.clock).store.get(c.id)?.owner).toBe("ag_c");
    sec.close();
  });

  it("adopting an operator grant persists the key it is bound to, and it survives a reopen", () => {
    const { sec, dir, store } = secWithDir();
    const d = caller("ag_d", ["x#y"]);
    sec.checker.check(d, { resource: "x", action: "y" });
    const t = sec.authority.mint({ holder: "ag_d", caps: ["z#w"], scheme: "hmac", exp: sec.clock.now() + 10_000 });
    const keyId = t.blocks[0]!.block.holder.keyId;
    expect(store.isVolatile(keyId)).toBe(true);
    sec.checker.adopt(d, t);
    expect(store.isVolatile(keyId)).toBe(false);
    sec.close();
    const again = new Security({ clock: sec.clock, dataDir: dir });
    expect(again.identities.store.get(keyId)?.owner).toBe("ag_d");
    expect(again.checker.check(d, { resource: "z", action: "w" }).allowed).toBe(true);
    again.close();
  });
});
