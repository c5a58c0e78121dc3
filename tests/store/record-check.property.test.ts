/**
 * Property (fast-check): the hand-written recovery validator `checkRecord` agrees with the zod
 * schema that defines a journal record — on well-formed records, on records with one field
 * damaged, and on arbitrary values — accepting the same inputs and returning an equal record.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkRecord, JournalRecordSchema } from "../../src/store/index.js";

const id = fc.oneof(fc.constantFrom("", "a", "ag_1"), fc.string({ maxLength: 4 }));
const status = fc.oneof(fc.constantFrom("pending", "running", "paused", "completed", "failed", "killed"), fc.string({ maxLength: 3 }));
const seq = fc.oneof(fc.nat(100), fc.constantFrom(-1, 1.5, 2 ** 53, Number.MAX_SAFE_INTEGER, -0, NaN, Infinity), fc.string({ maxLength: 2 }));
const any = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined));
const opt = <T,>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

/** Records of every type with fields that are usually right and sometimes wrong or missing. */
const candidate = fc.oneof(
  fc.record({ t: fc.constantFrom("spawn", "checkpoint"), agent: id, spec: any, parent: opt(id), status, checkpoint: any, callSeq: seq }, { requiredKeys: ["t", "agent", "status", "callSeq"] }),
  fc.record({ t: fc.constant("transition"), agent: id, to: status, op: fc.oneof(fc.string({ maxLength: 3 }), fc.nat()), reason: opt(fc.oneof(fc.string(), fc.nat())) }, { requiredKeys: ["t", "agent", "to"] }),
  fc.record({ t: fc.constant("enqueue"), id, to: id, from: opt(id), payload: any }, { requiredKeys: ["t", "id", "to"] }),
  fc.record({ t: fc.constant("enqueue"), id, to: id, from: opt(id), payload: any, key: opt(id), cause: opt(id), nth: opt(seq), sent: opt(fc.oneof(fc.array(seq, { maxLength: 3 }), seq)) }, { requiredKeys: ["t", "id", "to"] }),
  fc.record({ t: fc.constant("handled"), agent: id, msg: opt(id), checkpoint: any, callSeq: seq }, { requiredKeys: ["t", "agent"] }),
  fc.record({ t: fc.constant("intent"), agent: id, callSeq: seq, syscall: fc.oneof(fc.string({ maxLength: 3 }), fc.nat()), args: any, key: opt(fc.oneof(fc.string(), fc.nat())) }, { requiredKeys: ["t", "agent", "callSeq"] }),
  fc.record({ t: fc.constant("result"), agent: id, callSeq: seq, result: any, error: any }, { requiredKeys: ["t", "agent", "callSeq"] }),
);

/** Sometimes an extra key (stripped by both), sometimes a wrong `t`. */
const input = fc.oneof(
  candidate,
  fc.tuple(candidate, fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 })).map(([r, k, v]) => ({ ...r, [k]: v })),
  candidate.map((r) => ({ ...r, t: "bogus" })),
  fc.anything(),
);

describe("checkRecord", () => {
  it("accepts exactly what JournalRecordSchema accepts and returns an equal record", () => {
    fc.assert(
      fc.property(input, (x) => {
        const z = JournalRecordSchema.safeParse(x);
        const h = checkRecord(x);
        expect(h.ok).toBe(z.success);
        // Spread: the same own keys and values (a null-prototype input may be returned as it is).
        if (h.ok && z.success) expect({ ...h.record }).toStrictEqual({ ...z.data });
      }),
      { numRuns: 20_000 },
    );
  });

  it("names the field that is wrong", () => {
    expect(checkRecord({ t: "enqueue", id: "m", to: "" })).toEqual({ ok: false, why: "invalid record: field to has the wrong type" });
    expect(checkRecord({ t: "handled", agent: "a", callSeq: 1.5 })).toEqual({ ok: false, why: "invalid record: field callSeq has the wrong type" });
    expect(checkRecord([])).toEqual({ ok: false, why: "invalid record: not an object" });
  });
});
