import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { AiosError, SimulatedClock, type AgentId, type Logger, type TenantId } from "../../src/core/index.js";
import type { Caller } from "../../src/abi/index.js";
import { redactingLogger, SecretStore, Security } from "../../src/security/index.js";
import { makeToolContext } from "../../src/tools/index.js";

const VALUE = "sk-live-9f8e7d6c5b4a3210";
let n = 0;
const caller = (capabilities: string[]): Caller => ({ agent: `ag_s${++n}` as AgentId, tenant: "t" as TenantId, name: "s", capabilities, taint: new Set(), priority: 0 });

describe("secrets", () => {
  it("encrypts at rest with a 0600 key, reloads, and detects tampering", () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-sec-"));
    const s = new SecretStore({ dataDir: dir });
    s.set("OPENAI_KEY", VALUE);
    const file = join(dir, "secrets", "secrets.json");
    const raw = readFileSync(file, "utf8");
    expect(raw).not.toContain(VALUE);
    expect(raw).not.toContain(Buffer.from(VALUE).toString("base64"));
    expect(statSync(join(dir, "secrets", "master.key")).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "secrets")).mode & 0o777).toBe(0o700);
    const again = new SecretStore({ dataDir: dir });
    expect(again.names()).toEqual(["OPENAI_KEY"]);
    expect(again.reveal("OPENAI_KEY")).toBe(VALUE);
    // Swap ciphertext under another name: the name is authenticated data, so it fails.
    const doc = JSON.parse(raw) as { v: 1; secrets: Record<string, unknown> };
    doc.secrets["OTHER"] = doc.secrets["OPENAI_KEY"];
    writeFileSync(file, JSON.stringify(doc));
    expect(() => new SecretStore({ dataDir: dir })).toThrow(expect.objectContaining({ code: "E_CORRUPT" }) as Error);
  });

  it("reveals a value to a tool's slot only with a secret:NAME#use capability and names the missing piece", () => {
    const clock = new SimulatedClock();
    const sec = new Security({ clock });
    sec.secrets.set("API_TOKEN", VALUE);
    const ctx = (caps: string[]) => makeToolContext({ caller: caller(caps), checker: () => sec.checker, clock, secrets: sec.secrets });
    expect(ctx(["secret:API_TOKEN#use"]).revealSecret("API_TOKEN")).toBe(VALUE);
    expect(() => ctx([]).revealSecret("API_TOKEN")).toThrow(expect.objectContaining({ code: "E_CAP_DENIED" }) as Error);
    expect(() => ctx(["secret:*#use"]).revealSecret("NOPE")).toThrow(expect.objectContaining({ code: "E_NOT_FOUND" }) as Error);
    const args = { tool: "http.fetch", args: { url: "https://api.example.com", headers: { authorization: "Bearer {{secret:API_TOKEN}}" } } };
    expect(SecretStore.references(args)).toEqual(["API_TOKEN"]);
    expect(() => sec.secrets.set("bad name", "xxxxxx")).toThrow(expect.objectContaining({ code: "E_INVALID_ARG" }) as Error);
    expect(() => sec.secrets.set("SHORT", "ab")).toThrow(/too short/);
    expect(sec.secrets.names()).toEqual(["API_TOKEN"]);
  });

  it("never lets a secret value out through results, errors, approvals or logs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-log-"));
    const clock = new SimulatedClock();
    const sec = new Security({ clock, policy: "rules: [ { id: ask, effect: approve, when: { tool: 'http.*' } } ]" });
    sec.secrets.set("API_TOKEN", VALUE);
    const r = sec.redactor;
    const result = { status: 200, body: `echo: ${VALUE}`, b64: Buffer.from(VALUE).toString("base64"), nested: [{ [VALUE]: encodeURIComponent(VALUE) }] };
    const clean = JSON.stringify(r.redact(result));
    expect(clean).not.toContain(VALUE);
    expect(clean).not.toContain(Buffer.from(VALUE).toString("base64"));
    expect(clean).toContain("[REDACTED:API_TOKEN]");
    const err = new AiosError("E_TOOL", `upstream rejected key ${VALUE}`, { details: { header: `Bearer ${VALUE}` }, cause: new Error(VALUE) });
    const redErr = r.redact(err);
    expect(redErr).toBeInstanceOf(AiosError);
    expect(JSON.stringify(redErr.toJSON()) + String(redErr.stack)).not.toContain(VALUE);
    expect(redErr.code).toBe("E_TOOL");
    // approvals store redacted args
    const c = { ...caller([]), taint: new Set<string>() };
    const d = sec.policy.evaluate(c, "ToolCall", { tool: "http.fetch" }, []);
    if (d.effect !== "approve") throw new Error("expected approve");
    void sec.policy.requestApproval(c, "ToolCall", { tool: "http.fetch", args: { key: VALUE } }, d);
    expect(JSON.stringify(sec.approvals.list())).not.toContain(VALUE);
    sec.approvals.denyAll();
    // a real pino logger writing to a file
    const logFile = join(dir, "log.jsonl");
    const dest = pino.destination({ dest: logFile, sync: true });
    const base = pino({ level: "debug" }, dest) as unknown as Logger;
    const log = redactingLogger(base, r);
    log.info({ token: VALUE, nested: { v: [VALUE] } }, `calling with ${VALUE}`);
    log.child({ key: VALUE }).error({ err: err.toJSON() }, "failed");
    dest.flushSync();
    const text = readFileSync(logFile, "utf8");
    expect(text.split("\n").filter(Boolean)).toHaveLength(2);
    expect(text).not.toContain(VALUE);
    expect(text).toContain("[REDACTED:API_TOKEN]");
  });

  it("forgets a deleted or replaced value", () => {
    const s = new SecretStore();
    s.set("A", "first-value");
    s.set("A", "second-value");
    expect(s.redactor.redactString("first-value second-value")).toBe("first-value [REDACTED:A]");
    expect(s.delete("A")).toBe(true);
    expect(s.redactor.redactString("second-value")).toBe("second-value");
    expect(s.delete("A")).toBe(false);
  });
});
