import { describe, expect, it } from "vitest";
import { AiosError, flushMicrotasks, SimulatedClock, type AgentId, type TenantId } from "../../src/core/index.js";
import { ApprovalQueue, RulePolicyEngine, Security } from "../../src/security/index.js";

const who = (name: string, taint: string[] = [], tenant = "acme") => ({ agent: `ag_${name}` as AgentId, name, tenant: tenant as TenantId, taint: new Set(taint), capabilities: [], priority: 0 });

const POLICY = `
combine: first-match
rules:
  - id: no-shell-when-tainted
    effect: deny
    reason: a tainted context may not run shell commands
    when: { tool: "shell.*", tainted: true }
  - id: approve-rm
    effect: approve
    timeout: 10m
    when: { tool: shell.execute, args: { command: "rm *" } }
  - id: other-tenant
    effect: deny
    when: { tenant: [globex, initech] }
  - id: web-taint-no-write
    effect: deny
    when: { taint: "web:*", resource: "file:/**", action: write }
  - id: allow-research
    effect: allow
    when: { agent: "research-*", syscall: LlmInvoke, args: { model: { regex: "^tiny-" } } }
`;

describe("policy rules", () => {
  const p = new RulePolicyEngine(POLICY);
  const shell = (command: string) => ({ tool: "shell.execute", args: { command } });

  it("matches tool, taint, argument patterns, tenant, resource and agent", () => {
    expect(p.evaluate(who("a", ["web:evil.com"]), "ToolCall", shell("ls"), [])).toMatchObject({ effect: "deny", rule: "no-shell-when-tainted" });
    expect(p.evaluate(who("a"), "ToolCall", shell("ls"), [])).toEqual({ effect: "allow" });
    expect(p.evaluate(who("a"), "ToolCall", shell("rm -rf /tmp/x"), [])).toMatchObject({ effect: "approve", rule: "approve-rm", timeoutMs: 600_000 });
    expect(p.evaluate(who("a", [], "globex"), "MemoryQuery", {}, [])).toMatchObject({ effect: "deny", rule: "other-tenant" });
    expect(p.evaluate(who("a", ["web:x.io"]), "ToolCall", { tool: "file.write" }, [{ resource: "file:/data/a", action: "write" }])).toMatchObject({ rule: "web-taint-no-write" });
    expect(p.evaluate(who("a", ["web:x.io"]), "ToolCall", { tool: "file.read" }, [{ resource: "file:/data/a", action: "read" }])).toEqual({ effect: "allow" });
    expect(p.evaluate(who("research-7"), "LlmInvoke", { model: "tiny-q4" }, [])).toEqual({ effect: "allow", rule: "allow-research" });
    expect(p.evaluate(who("research-7"), "LlmInvoke", { model: "big" }, [])).toEqual({ effect: "allow" });
  });

  it("first-match takes the first hit; deny-overrides lets any deny win", () => {
    const doc = (combine: string) => `combine: ${combine}\nrules:\n  - { id: ok, effect: allow, when: { syscall: ToolCall } }\n  - { id: slow, effect: approve, timeout: 5m, when: { syscall: "Tool*" } }\n  - { id: quick, effect: approve, timeout: 1m, when: { syscall: "*Call" } }\n  - { id: never, effect: deny, when: { args: { tool: "shell.*" } } }\n`;
    const first = new RulePolicyEngine(doc("first-match"));
    const over = new RulePolicyEngine(doc("deny-overrides"));
    expect(first.evaluate(who("a"), "ToolCall", { tool: "shell.execute" }, [])).toEqual({ effect: "allow", rule: "ok" });
    expect(over.evaluate(who("a"), "ToolCall", { tool: "shell.execute" }, [])).toMatchObject({ effect: "deny", rule: "never" });
    expect(over.evaluate(who("a"), "ToolCall", { tool: "file.read" }, [])).toMatchObject({ effect: "approve", rule: "quick", timeoutMs: 60_000 });
  });

  it("default deny applies when no rule matches", () => {
    const p2 = new RulePolicyEngine({ default: "deny", rules: [{ id: "noop", effect: "allow", when: { syscall: "Noop" } }] });
    expect(p2.evaluate(who("a"), "Noop", {}, [])).toEqual({ effect: "allow", rule: "noop" });
    expect(p2.evaluate(who("a"), "ToolCall", {}, [])).toMatchObject({ effect: "deny", rule: "default" });
  });

  it.each([
    ["rules: [ { id: x, effect: maybe } ]", "rules[0].effect"],
    ["rules: [ { effect: deny } ]", "rules[0].id"],
    ["rules: [ { id: x, effect: deny, when: { colour: red } } ]", "rules[0].when"],
    ["rules: [ { id: x, effect: deny, when: { args: { a: { regex: '(' } } } } ]", "rules[0].when.args.a"],
    ["rules: [ { id: x, effect: approve, timeout: soon } ]", "rules[0].timeout"],
    ["rules: [ { id: x, effect: deny }, { id: x, effect: allow } ]", "rules[1].id"],
    ["rules: [unclosed", ""],
  ])("rejects a bad document with E_CONFIG naming the field: %s", (doc, path) => {
    try {
      new RulePolicyEngine(doc);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AiosError);
      expect((e as AiosError).code).toBe("E_CONFIG");
      expect((e as AiosError).message).toContain(path);
    }
  });

  it("a bad reload leaves the previous rules in force", () => {
    const p2 = new RulePolicyEngine("rules: [ { id: a, effect: deny } ]");
    expect(() => p2.load("rules: [ { id: b, effect: nope } ]")).toThrow(AiosError);
    expect(p2.ruleIds).toEqual(["a"]);
  });
});

describe("approvals", () => {
  it("blocks until a person approves, denies, or the simulated timeout denies", async () => {
    const clock = new SimulatedClock();
    const sec = new Security({ clock, policy: "rules: [ { id: ask, effect: approve, timeout: 1m, when: { tool: 'shell.*' } } ]" });
    const c = who("ops");
    const d = sec.policy.evaluate(c, "ToolCall", { tool: "shell.execute" }, []);
    if (d.effect !== "approve") throw new Error("expected approve");
    const outcomes: boolean[] = [];
    const p1 = sec.policy.requestApproval(c, "ToolCall", { tool: "shell.execute", args: { command: "ls" } }, d).then((ok) => outcomes.push(ok));
    const p2 = sec.policy.requestApproval(c, "ToolCall", { tool: "shell.execute" }, d).then((ok) => outcomes.push(ok));
    const p3 = sec.policy.requestApproval(c, "ToolCall", { tool: "shell.execute" }, d).then((ok) => outcomes.push(ok));
    const pending = sec.approvals.list({ status: "pending" });
    expect(pending).toHaveLength(3);
    expect(pending[0]).toMatchObject({ rule: "ask", agent: "ag_ops", syscall: "ToolCall", deadline: clock.now() + 60_000 });
    sec.approvals.approve(pending[0]!.id, "alice");
    sec.approvals.deny(pending[1]!.id, "bob", "not now");
    await flushMicrotasks();
    expect(outcomes).toEqual([true, false]);
    await clock.advanceAsync(59_999);
    expect(outcomes).toHaveLength(2);
    await clock.advanceAsync(1);
    await Promise.all([p1, p2, p3]);
    expect(outcomes).toEqual([true, false, false]);
    expect(sec.approvals.get(pending[2]!.id)).toMatchObject({ status: "expired" });
    expect(sec.approvals.get(pending[1]!.id)).toMatchObject({ status: "denied", decidedBy: "bob", note: "not now" });
    try {
      sec.approvals.approve(pending[2]!.id, "late");
      expect.unreachable();
    } catch (e) {
      expect((e as AiosError).code).toBe("E_CONFLICT");
    }
    expect(() => sec.approvals.deny("apr_nope", "x")).toThrow(/no approval request/);
    expect(clock.pending()).toBe(0);
  });

  it("denyAll settles every waiting request (shutdown)", async () => {
    const q = new ApprovalQueue({ clock: new SimulatedClock() });
    const r = q.request({ agent: "a", agentName: "a", tenant: "t", syscall: "ToolCall", args: {}, rule: "r", reason: "why" });
    q.denyAll();
    await expect(r).resolves.toBe(false);
  });
});
