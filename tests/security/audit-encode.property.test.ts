/**
 * The audit encoder's hand check (isPlainContent) against its reference, auditContentSchema: whatever
 * the hand check accepts, zod accepts too, and the entry hashed from the original is the one hashed
 * from zod's copy. Input includes the odd shapes a redactor could hand back: arrays, class
 * instances, null-prototype objects, symbol and non-enumerable keys, an own "__proto__" key.
 * And a batch written several rows per INSERT stores every entry in seq order and verifies.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/abi/index.js";
import { auditContentSchema, syscallContent } from "../../src/audit/entry.js";
import { Redactor } from "../../src/security/index.js";
import { encodeContent, isPlainContent } from "../../src/audit/encode.js";
import { canonicalize } from "../../src/audit/canonical.js";
import { verifyAudit } from "../../src/audit/index.js";
import { keys, openLog, tempDir } from "./audit-helpers.js";

class Box {
  constructor(readonly x: number) {}
}

const oddData = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant(new Box(1)),
  fc.constant(Object.assign(Object.create(null) as object, { a: 1, b: "two" })),
  fc.constant({ [Symbol("s")]: 1, a: 2 }),
  fc.constant(Object.defineProperty({ a: 1 }, "hidden", { value: 2, enumerable: false })),
  fc.constant(JSON.parse('{"__proto__": {"x": 1}, "a": 1}') as object),
  fc.constant([1, 2]),
  fc.constant(null),
);

const content = fc.record({
  kind: fc.oneof(fc.constantFrom("syscall", "lifecycle", "audit"), fc.string({ maxLength: 6 })),
  agent: fc.oneof(fc.string({ maxLength: 6 }), fc.constant(null), fc.integer()),
  data: oddData,
});

describe("audit content: the hand check agrees with the schema", () => {
  it("accepts only what zod accepts, and the canonical data is the same", () => {
    fc.assert(
      fc.property(content, (c) => {
        if (!isPlainContent(c)) return;
        const r = auditContentSchema.safeParse(c);
        expect(r.success).toBe(true);
        if (r.success) expect(canonicalize(c.data)).toBe(canonicalize(r.data.data));
      }),
      { numRuns: 500 },
    );
  });

  it("an entry encoded through the hand check equals the entry built from zod's parse", () => {
    fc.assert(
      fc.property(content, (c) => {
        const got = encodeContent(c as never, 5, (v) => v);
        const r = auditContentSchema.safeParse(c);
        if (!r.success) {
          expect(isPlainContent(c)).toBe(false);
          expect(got.dataJson).toContain("auditError");
          return;
        }
        let dataJson: string;
        try {
          dataJson = canonicalize(r.data.data);
        } catch {
          return; // not encodable either way: both record an auditError note
        }
        expect(got).toEqual({ ts: 5, kind: r.data.kind, agent: r.data.agent, agentJson: JSON.stringify(r.data.agent), dataJson });
      }),
      { numRuns: 500 },
    );
  });
});

describe("a dispatcher decision's pre-encoded data", () => {
  const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: "grapheme", maxLength: 8 }), fc.constantFrom("a\\b", "q\"t", "tok sk-SECRET-12345", "\u2028"));
  const decision = fc.record(
    {
      agent: text,
      syscall: text,
      decision: fc.constantFrom("allowed", "denied", "approved", "error"),
      by: text,
      reason: text,
      error: fc.record({ code: fc.constantFrom("E_TOOL", "E_CAP_DENIED"), message: text }),
    },
    { requiredKeys: ["agent", "syscall", "decision"] },
  );
  const redactor = new Redactor();
  redactor.add("key", "sk-SECRET-12345");

  it("is the canonical encoding of its data, and the entry is the one the object route gives, with or without a redactor", () => {
    fc.assert(
      fc.property(decision, (r) => {
        const c = syscallContent(r as AuditRecord);
        const pre = (c as { dataJson?: string }).dataJson;
        if (r.error === undefined) expect(pre).toBe(canonicalize(c.data));
        else expect(pre).toBeUndefined();
        const plain = { kind: c.kind, agent: c.agent, data: c.data };
        for (const redact of [undefined, (v: unknown) => redactor.redact(v)]) {
          expect(encodeContent(c, 7, redact)).toEqual(encodeContent(plain, 7, redact));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("audit batches written many rows per statement", () => {
  it.each([1, 31, 32, 33, 64, 65, 250])("a flush of %i entries stores every one, in order, and verifies", (n) => {
    const dataDir = tempDir();
    const { privateKey } = keys();
    // The simulated clock stands still, so nothing flushes before flush(): one batch of n.
    const { log } = openLog(dataDir, privateKey);
    for (let i = 0; i < n; i++) {
      log.append({ kind: "syscall", agent: `ag_${i % 5}`, data: { syscall: "ToolCall", decision: "allowed", i } });
    }
    expect(log.flush()).toBe(n);
    expect(log.entries().map((e) => [e.seq, e.data["i"]])).toEqual(Array.from({ length: n }, (_, i) => [i + 1, i]));
    log.close();
    expect(verifyAudit({ dataDir }).ok).toBe(true);
  });
});
