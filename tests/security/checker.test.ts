import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AiosError, SimulatedClock, type AgentId, type TenantId } from "../../src/core/index.js";
import type { Caller } from "../../src/abi/index.js";
import { FileKeyStore, Identities, Security, TokenAuthority, RevocationList } from "../../src/security/index.js";

const caller = (agent: string, capabilities: string[] = [], taint: ReadonlySet<string> = new Set()): Caller => ({
  agent: agent as AgentId, tenant: "t1" as TenantId, name: `name-${agent}`, capabilities, taint, priority: 0,
});

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AiosError);
    return (e as AiosError).code;
  }
  return "none";
}

describe("TokenCapabilityChecker", () => {
  it("grants exactly the spec capabilities through a minted token and names it", () => {
    const sec = new Security({ clock: new SimulatedClock() });
    const a = caller("ag_a", ["file:/data/**#read", "agent:*#send"]);
    const d = sec.checker.check(a, { resource: "file:/data/x/y.txt", action: "read" });
    expect(d.allowed).toBe(true);
    expect(d.allowed && d.by).toMatchObject({ kind: "token", token: expect.stringMatching(/^cap_\S+$/), capability: "file:/data/**#read" });
    expect(sec.checker.check(a, { resource: "file:/etc/passwd", action: "read" })).toMatchObject({ allowed: false });
    expect(sec.checker.check(a, { resource: "file:/data/x", action: "write" })).toMatchObject({ allowed: false });
    expect(sec.checker.check(caller("ag_none"), { resource: "agent:x", action: "send" }).allowed).toBe(false);
  });

  it("re-mints an expired spec token but never a revoked one", () => {
    const clock = new SimulatedClock();
    const sec = new Security({ clock, specTtlMs: 1000 });
    const a = caller("ag_a", ["x:*#y"]);
    const first = sec.checker.tokens(a)[0]!.id;
    clock.advance(1500);
    expect(sec.checker.check(a, { resource: "x:1", action: "y" }).allowed).toBe(true);
    const second = sec.checker.tokens(a)[0]!.id;
    expect(second).not.toBe(first);
    expect(sec.checker.revoke("operator", second)).toBe(1);
    expect(sec.checker.check(a, { resource: "x:1", action: "y" }).allowed).toBe(false);
    clock.advance(1500);
    expect(sec.checker.check(a, { resource: "x:1", action: "y" }).allowed).toBe(false);
  });

  it("delegates by attenuation, and revoking the parent cascades to the child's checks", () => {
    const sec = new Security({ clock: new SimulatedClock() });
    const a = caller("ag_a", ["file:/data/**#read,write"]);
    const b = caller("ag_b");
    const c = caller("ag_c");
    const vb = sec.checker.grant(a, b, "file:/data/shared/**#read");
    expect(sec.checker.check(b, { resource: "file:/data/shared/q.csv", action: "read" }).allowed).toBe(true);
    expect(sec.checker.check(b, { resource: "file:/data/shared/q.csv", action: "write" }).allowed).toBe(false);
    expect(codeOf(() => sec.checker.grant(b, c, "file:/data/**#read"))).toBe("E_CAP_DENIED");
    const vc = sec.checker.grant(b, c, "file:/data/shared/q.csv#read");
    expect(sec.checker.check(c, { resource: "file:/data/shared/q.csv", action: "read" }).allowed).toBe(true);
    // c did not issue b's token and does not hold it
    expect(codeOf(() => sec.checker.revoke(c, vb.id))).toBe("E_CAP_DENIED");
    expect(sec.checker.revoke(a, vb.id)).toBe(2);
    expect(sec.checker.check(b, { resource: "file:/data/shared/q.csv", action: "read" }).allowed).toBe(false);
    expect(sec.checker.check(c, { resource: "file:/data/shared/q.csv", action: "read" }).allowed).toBe(false);
    expect(sec.checker.tokens(c).map((t) => t.id)).not.toContain(vc.id);
    expect(sec.checker.check(a, { resource: "file:/data/shared/q.csv", action: "write" }).allowed).toBe(true);
  });

  it("charges max= quotas atomically along the chain: a child's spending counts against its parent", () => {
    const sec = new Security({ clock: new SimulatedClock() });
    const a = caller("ag_a", ["agent#spawn{max=5}"]);
    const b = caller("ag_b");
    sec.checker.grant(a, b, "agent#spawn{max=3}");
    const spawn = { resource: "agent", action: "spawn" };
    for (let i = 0; i < 3; i++) expect(sec.checker.check(b, spawn).allowed).toBe(true);
    expect(codeOf(() => sec.checker.check(b, spawn))).toBe("E_QUOTA");
    expect(sec.checker.check(a, spawn).allowed).toBe(true);
    expect(sec.checker.check(a, spawn).allowed).toBe(true);
    expect(codeOf(() => sec.checker.check(a, spawn))).toBe("E_QUOTA");
  });

  it("counts tokens= by amount and refuses an over-budget call without debiting it", () => {
    const sec = new Security({ clock: new SimulatedClock() });
    const a = caller("ag_a", ["llm:*#invoke{tokens=1000}"]);
    const req = (amount: number) => ({ resource: "llm:tiny", action: "invoke", amount });
    expect(sec.checker.check(a, req(600)).allowed).toBe(true);
    expect(codeOf(() => sec.checker.check(a, req(500)))).toBe("E_QUOTA");
    expect(sec.checker.check(a, req(400)).allowed).toBe(true);
    expect(codeOf(() => sec.checker.check(a, req(1)))).toBe("E_QUOTA");
  });

  it("rate-limits with a token bucket on the simulated clock", () => {
    const clock = new SimulatedClock();
    const sec = new Security({ clock });
    const a = caller("ag_a", ["net:api.example.com:443#fetch{rate=3/min}"]);
    const req = { resource: "net:api.example.com:443", action: "fetch" };
    for (let i = 0; i < 3; i++) expect(sec.checker.check(a, req).allowed).toBe(true);
    expect(codeOf(() => sec.checker.check(a, req))).toBe("E_RATE_LIMITED");
    clock.advance(20_000);
    expect(sec.checker.check(a, req).allowed).toBe(true);
    expect(codeOf(() => sec.checker.check(a, req))).toBe("E_RATE_LIMITED");
  });

  it("explains which token allows, or why each token refuses, and when policy overrides", () => {
    const sec = new Security({ clock: new SimulatedClock(), policy: "rules:\n  - id: no-etc\n    effect: deny\n    reason: never /etc\n    when: { resource: 'file:/etc/**' }\n" });
    const a = caller("ag_a", ["file:/data/**#read", "file:/etc/**#read"]);
    const ok = sec.explain(a, { resource: "file:/data/a", action: "read" });
    expect(ok.allowed).toBe(true);
    expect(ok.decidedBy).toMatch(/^token:cap_\S+ file:\/data\/\*\*#read$/);
    const no = sec.explain(a, { resource: "file:/home/x", action: "read" });
    expect(no.allowed).toBe(false);
    expect(no.tokens[0]).toMatchObject({ outcome: "no-match" });
    expect(no.summary).toContain("no token of name-ag_a allows file:/home/x#read");
    const pol = sec.explain(a, { resource: "file:/etc/passwd", action: "read" });
    expect(pol).toMatchObject({ allowed: false, decidedBy: "policy:no-etc" });
  });

  it("refuses to adopt a token bound to another agent", () => {
    const sec = new Security({ clock: new SimulatedClock() });
    const t = sec.authority.mint({ holder: "ag_b", caps: ["x#y"], exp: sec.clock.now() + 1000 });
    expect(codeOf(() => sec.checker.adopt(caller("ag_a"), t))).toBe("E_AUTH");
    expect(sec.checker.adopt(caller("ag_b"), t).holder.agent).toBe("ag_b");
  });
});

describe("identities", () => {
  it("stores keys 0600 in the data dir, reloads them, and rotation keeps old keys for verification", () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-keys-"));
    const clock = new SimulatedClock();
    const store = new FileKeyStore(dir);
    const ids = new Identities(store, clock);
    const authority = new TokenAuthority({ identities: ids, revocations: new RevocationList(), clock, rootAlg: "hybrid" });
    const t = authority.mint({ holder: "ag_a", caps: ["x#y"], exp: clock.now() + 10_000 });
    const keyFile = store.fileOf("kernel")!;
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(statSync(store.dir).mode & 0o777).toBe(0o700);
    expect(statSync(store.fileOf("ag_a")!).mode & 0o777).toBe(0o600);
    const oldRoot = ids.current("kernel")!;
    const { active, retired } = ids.rotate("kernel");
    expect(retired).toMatchObject({ id: oldRoot.id, status: "retired" });
    expect(active.alg).toBe("hybrid");
    expect(active.id).not.toBe(oldRoot.id);
    // Reload from disk: the rotated state persists and the old token still verifies.
    clock.advance(1);
    const ids2 = new Identities(new FileKeyStore(dir), clock);
    expect(ids2.current("kernel")!.id).toBe(active.id);
    expect(ids2.store.list("kernel").map((k) => k.status)).toEqual(["retired", "active"]);
    const authority2 = new TokenAuthority({ identities: ids2, revocations: new RevocationList(), clock });
    expect(authority2.verify(t).holder.agent).toBe("ag_a");
    const t2 = authority2.mint({ holder: "ag_a", caps: ["x#y"], exp: clock.now() + 10_000 });
    expect(t2.blocks[0]!.block.issuer).toBe(active.id);
    expect(readFileSync(keyFile, "utf8")).toContain(active.id);
  });

  it("refuses to delegate from a token bound to a retired holder key", () => {
    const clock = new SimulatedClock();
    const sec = new Security({ clock });
    const t = sec.authority.mint({ holder: "ag_a", caps: ["x:*#y"], exp: clock.now() + 10_000 });
    sec.identities.rotate("ag_a");
    expect(sec.authority.verify(t).holder.agent).toBe("ag_a");
    try {
      sec.authority.delegate(t, { holder: "ag_b", caps: ["x:1#y"] });
      expect.unreachable();
    } catch (e) {
      expect((e as AiosError).details["reason"]).toBe("retired_key");
    }
  });
});
