/**
 * Properties (fast-check) of the durable half of ipc/'s de-duplication window, as the journal state
 * keeps it (store state.ts): the seen window is bounded, holds only keys of messages that were
 * handled, newest last; compaction keeps it exactly (folding toRecords() gives the same windows and
 * pending keys); and the records compaction writes pass the recovery validator and the zod schema
 * alike (checkRecord agrees with JournalRecordSchema on `key` and `seen`).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkRecord, JournalRecordSchema, JournalState, type JournalRecord } from "../../src/store/index.js";

const WINDOW = 3;
const agent = fc.constantFrom("a", "b");
const msg = fc.constantFrom("m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8");
const key = fc.option(fc.constantFrom("k1", "k2", "k3", "k4", "k5", "k6"), { nil: undefined });

const record: fc.Arbitrary<JournalRecord> = fc.oneof(
  fc.record({ t: fc.constant("spawn" as const), agent, spec: fc.constant({}), status: fc.constant("running" as const), callSeq: fc.constant(0) }),
  fc.tuple(msg, agent, key).map(([id, to, k]): JournalRecord => ({ t: "enqueue", id, to, payload: id, ...(k === undefined ? {} : { key: k }) })),
  fc.tuple(agent, msg).map(([a, m]): JournalRecord => ({ t: "handled", agent: a, msg: m, callSeq: 0 })),
  fc.record({ t: fc.constant("transition" as const), agent, to: fc.constantFrom("paused", "running", "killed" as const), op: fc.constant("op") }),
);

function fold(records: readonly JournalRecord[]): JournalState {
  const s = new JournalState(WINDOW);
  for (const r of records) s.apply(r);
  return s;
}

/** Each agent's window and pending keys, in order. */
const windows = (s: JournalState): unknown =>
  [...s.agents.values()].map((a) => ({ agent: a.agent, seen: [...(a.seen ?? [])], pending: [...a.mailbox.values()].map((m) => m.key) }));

describe("durable de-duplication window (journal state)", () => {
  it("is bounded, holds only handled keys, and survives compaction exactly", () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 60 }), (records) => {
        const s = fold(records);
        const handledKeys = new Set<string>();
        const byId = new Map<string, string | undefined>();
        for (const r of records) {
          if (r.t === "enqueue") byId.set(`${r.to}/${r.id}`, r.key);
          if (r.t === "handled") {
            const k = byId.get(`${r.agent}/${r.msg ?? ""}`);
            if (k !== undefined) handledKeys.add(k);
          }
        }
        for (const a of s.agents.values()) {
          const seen = [...(a.seen ?? [])];
          expect(seen.length).toBeLessThanOrEqual(WINDOW);
          for (const k of seen) expect(handledKeys.has(k)).toBe(true);
        }
        const compacted = s.toRecords();
        expect(windows(fold(compacted))).toEqual(windows(s));
        for (const r of compacted) {
          const wire = JSON.parse(JSON.stringify(r)) as unknown;
          const checked = checkRecord(wire);
          expect(checked.ok).toBe(true);
          expect(checked.ok && checked.record).toEqual(JournalRecordSchema.parse(wire));
        }
      }),
      { numRuns: 400 },
    );
  });

  it("refuses a malformed key or window the same way the schema does", () => {
    for (const bad of [
      { t: "enqueue", id: "m", to: "a", key: "" },
      { t: "enqueue", id: "m", to: "a", key: 7 },
      { t: "checkpoint", agent: "a", spec: {}, status: "running", callSeq: 0, seen: "k1" },
      { t: "checkpoint", agent: "a", spec: {}, status: "running", callSeq: 0, seen: ["k1", ""] },
    ]) {
      expect(checkRecord(bad).ok).toBe(false);
      expect(JournalRecordSchema.safeParse(bad).success).toBe(false);
    }
  });
});
