/**
 * Packed lifecycle transitions (ADR 0054): the transitions one bus delivery brings are one entry
 * whose text is the canonical encoding of its data (so the hash chain covers exactly what a reader
 * parses back), a secret in a transition's reason is redacted before it is hashed, and an agent's
 * history (AuditReader.entries({ agent })) shows its rows as entries of the per-agent form, for the
 * newer packed form and for the restart's recovery batch, in a log that verifies.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { EventBus, asAgentId } from "../../src/index.js";
import { PackedTransitions, packedTransitions, transitionRow } from "../../src/audit/transitions.js";
import { canonicalize } from "../../src/audit/canonical.js";
import { AuditReader, LifecycleRecorder, auditPaths, verifyAudit } from "../../src/audit/index.js";
import { Redactor } from "../../src/security/index.js";
import { keys, openLog, tempDir } from "./audit-helpers.js";

const row = fc.record({
  agent: fc.string({ minLength: 1, maxLength: 12 }),
  op: fc.string({ maxLength: 8 }),
  from: fc.constantFrom("none", "pending", "running"),
  to: fc.constantFrom("pending", "running", "completed", "killed"),
  seq: fc.nat(),
  ts: fc.nat(),
  reason: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
});

describe("packed lifecycle transitions", () => {
  it("writes the canonical encoding of its data, and reads every row back (property)", () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 20 }), (rows) => {
        const c = new PackedTransitions(rows.map((r) => transitionRow(r.agent, r.op, r.from, r.to, r.seq, r.ts, r.reason)));
        expect(c.dataJson).toBe(canonicalize(JSON.parse(c.dataJson)));
        expect(c.data["count"]).toBe(rows.length);
        expect(packedTransitions(c.data)).toEqual(rows.map((r) => (r.reason === undefined ? [r.agent, r.op, r.from, r.to, r.seq, r.ts] : [r.agent, r.op, r.from, r.to, r.seq, r.ts, r.reason])));
      }),
    );
  });

  it("packs one bus delivery into one entry; a failure stays its own entry; histories read per agent; the log verifies", async () => {
    const dataDir = tempDir();
    const redactor = new Redactor();
    redactor.add("API_KEY", "sk-test-1a2b3c4d5e6f");
    const { log } = openLog(dataDir, keys().privateKey, { redact: (v) => redactor.redact(v) });
    const bus = new EventBus();
    const rec = new LifecycleRecorder(bus, log);
    const [a, b] = [asAgentId("ag_a"), asAgentId("ag_b")];
    bus.emit("agent.transition", { op: "spawn", from: "none", to: "pending" }, a);
    bus.emit("agent.transition", { op: "spawn", from: "none", to: "pending" }, b);
    bus.emit("agent.transition", { op: "start", from: "pending", to: "running" }, a);
    bus.emit("agent.transition", { op: "crash", from: "pending", to: "failed", reason: "boom" }, b, "error");
    bus.emit("agent.transition", { op: "kill", from: "running", to: "killed", reason: "key sk-test-1a2b3c4d5e6f leaked" }, a);
    await new Promise<void>((resolve) => setImmediate(resolve));
    // A later delivery is another entry.
    bus.emit("agent.transition", { op: "recover", from: "none", to: "running" }, b);
    await new Promise<void>((resolve) => setImmediate(resolve));
    rec.stop();
    log.close();

    expect(readFileSync(auditPaths(dataDir).db).includes("sk-test-1a2b3c4d5e6f")).toBe(false);
    const reader = AuditReader.open(dataDir);
    const all = reader.entries().filter((e) => e.kind === "lifecycle");
    // [spawn a, spawn b, start a] packed, the failure on its own (after them), [kill a], then the recovery batch.
    expect(all.map((e) => e.agent)).toEqual([null, "ag_b", null, null]);
    expect(packedTransitions(all[0]?.data).map((t) => [t[0], t[1]])).toEqual([["ag_a", "spawn"], ["ag_b", "spawn"], ["ag_a", "start"]]);
    expect(all[1]?.data).toMatchObject({ op: "crash", to: "failed", severity: "error", reason: "boom" });
    expect(all[3]?.data).toMatchObject({ op: "recover", count: 1 });
    const historyA = reader.entries({ agent: "ag_a" }).map((e) => e.data);
    expect(historyA).toEqual([
      expect.objectContaining({ event: "agent.transition", op: "spawn", from: "none", to: "pending", severity: "info" }),
      expect.objectContaining({ op: "start", from: "pending", to: "running" }),
      expect.objectContaining({ op: "kill", to: "killed", reason: "key [REDACTED:API_KEY] leaked" }),
    ]);
    expect(reader.entries({ agent: "ag_b" }).map((e) => `${String(e.data["op"])}:${String(e.data["to"])}`)).toEqual(["spawn:pending", "crash:failed", "recover:running"]);
    reader.close();
    expect(verifyAudit({ dataDir }).problems).toEqual([]);
  });
});
