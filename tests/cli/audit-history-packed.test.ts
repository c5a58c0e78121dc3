/**
 * `aios logs <agent>` reads the agent's past from the audit log (cli/audit-history.ts): with packed
 * aggregates (ADR 0034) the agent still sees one `syscall.aggregate` line per interval with its own
 * counts — and only its own — beside its denials, and `--messages` keeps them.
 */
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/index.js";
import { AuditLog } from "../../src/audit/index.js";
import { Aggregator, AGGREGATE_META, parseMark } from "../../src/audit/aggregate.js";
import { auditHistory, isMessaging } from "../../src/cli/audit-history.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("aios logs from the audit log", () => {
  it("shows an agent its counts from the packed aggregates, and its denials", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aios-audit-history-"));
    dirs.push(dataDir);
    mkdirSync(join(dataDir, "audit"));
    const clock = new SimulatedClock(5_000);
    const log = new AuditLog({ dataDir: join(dataDir, "audit"), signer: generateKeyPairSync("ed25519").privateKey, clock });
    const agg = new Aggregator({ appendAll: (cs) => log.appendAll(cs), note: (k, v) => log.note(k, v), commit: () => void log.flush() }, clock, 1000, parseMark(log.meta(AGGREGATE_META)), { rowsPerEntry: 2 });
    for (const [agent, n] of [["ag_a", 3], ["ag_b", 5], ["ag_c", 1]] as const) for (let i = 0; i < n; i++) agg.tally(agent, "SemanticSend", `token:t_${agent} agent:*#send`).hit("ag_z");
    agg.flush();
    log.append({ kind: "syscall", agent: "ag_b", data: { decision: "denied", reason: "no grant", syscall: "ToolCall" } });
    clock.advance(1000);
    agg.tally("ag_b", "SemanticSend", "token:t_ag_b agent:*#send").hit("ag_a");
    agg.flush();
    log.close();
    const { events, kept } = auditHistory(dataDir, "ag_b");
    expect(kept).toBe(true);
    expect(events.map((e) => [e.type, e.agent, (e.data as { name?: unknown }).name, (e.data as { count?: unknown }).count])).toEqual([
      ["syscall.aggregate", "ag_b", "SemanticSend", 5],
      ["syscall.denied", "ag_b", "ToolCall", undefined],
      ["syscall.aggregate", "ag_b", "SemanticSend", 1],
    ]);
    expect(events.filter(isMessaging)).toHaveLength(2);
  });
});
