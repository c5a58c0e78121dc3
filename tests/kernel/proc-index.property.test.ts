/**
 * The process table's index (src/kernel/proc-index.ts) behaves as a Map from id to process, whatever
 * the ids: this generator's own (kept in an array at their counter), another spelling of one of its
 * counters (leading zeros), a counter far ahead of the array, another node's or an earlier run's id.
 * Random sequences of enter / remove / look up (the same id again and again between changes, which
 * the index answers from its last look-up), long enough to cross the array's compaction many
 * times, against a Map as the model: the same answers, the same size, the same set of entries, and
 * this generator's live agents iterated in creation order after the others.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CounterIds, type AgentId } from "../../src/core/index.js";
import { ProcIndex } from "../../src/kernel/proc-index.js";
import type { Proc } from "../../src/kernel/proc.js";

const proc = (id: string): Proc => ({ id }) as unknown as Proc;

type Op =
  | { readonly k: "new" }
  | { readonly k: "again"; readonly pick: number }
  | { readonly k: "foreign"; readonly n: number }
  | { readonly k: "zeros"; readonly pick: number }
  | { readonly k: "ahead"; readonly n: number }
  | { readonly k: "remove"; readonly pick: number }
  | { readonly k: "end"; readonly pick: number }
  | { readonly k: "mint"; readonly n: number }
  | { readonly k: "look"; readonly pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.constant({ k: "new" as const }) },
  { weight: 2, arbitrary: fc.nat().map((pick) => ({ k: "remove" as const, pick })) },
  // Most agents end soon after they start: the array empties and is compacted, with the old
  // survivors among the live ones it moves.
  { weight: 14, arbitrary: fc.nat(3).map((pick) => ({ k: "end" as const, pick })) },
  { weight: 2, arbitrary: fc.nat().map((pick) => ({ k: "again" as const, pick })) },
  { weight: 1, arbitrary: fc.nat(50).map((n) => ({ k: "foreign" as const, n })) },
  { weight: 1, arbitrary: fc.nat().map((pick) => ({ k: "zeros" as const, pick })) },
  { weight: 1, arbitrary: fc.integer({ min: 70_000, max: 5_000_000 }).map((n) => ({ k: "ahead" as const, n })) },
  { weight: 3, arbitrary: fc.nat(8).map((n) => ({ k: "mint" as const, n })) },
  // Looked up between changes, twice: the index remembers its last answer until anything changes.
  { weight: 6, arbitrary: fc.nat().map((pick) => ({ k: "look" as const, pick })) },
);

describe("the process table's index", () => {
  it("answers as a Map would, across compactions", () => {
    let compactions = 0;
    fc.assert(fc.property(fc.array(op, { minLength: 3000, maxLength: 8000 }), (ops) => {
      const ids = new CounterIds("t0t0t0");
      // Compacted from 64 slots on (1,024 by default), so every sequence crosses several.
      const index = new ProcIndex(ids, 64);
      const model = new Map<string, Proc>();
      const known: string[] = [];
      const pick = (i: number): string | undefined => (known.length === 0 ? undefined : known[i % known.length]);
      const latestLive = (skip: number): string | undefined => {
        for (let k = known.length - 1; k >= 0; k--) {
          const id = known[k] as string;
          if (model.has(id) && skip-- === 0) return id;
        }
        return undefined;
      };
      let lastBase = 0;
      const enter = (id: string): void => {
        const p = proc(id);
        index.set(id as AgentId, p);
        model.set(id, p);
        known.push(id);
      };
      for (const o of ops) {
        if (o.k === "new") enter(ids.agent());
        else if (o.k === "mint") for (let i = 0; i < o.n; i++) ids.message(); // another kind's counter: no gap
        else if (o.k === "look") {
          const id = pick(o.pick);
          if (id !== undefined) for (let i = 0; i < 2; i++) expect(index.get(id)).toBe(model.get(id));
        }
        else if (o.k === "foreign") enter(`ag_zzzzzz_${o.n.toString(36)}`);
        else if (o.k === "ahead") enter(`ag_t0t0t0_${o.n.toString(36)}`);
        else if (o.k === "again") {
          const id = pick(o.pick);
          if (id !== undefined) enter(id); // a new incarnation under the same id
        } else if (o.k === "zeros") {
          const id = pick(o.pick);
          if (id !== undefined && id.startsWith("ag_t0t0t0_")) enter(`ag_t0t0t0_0${id.slice(10)}`);
        } else {
          // `end`: one of the few latest agents still in the table ends (most agents are short-lived).
          const id = o.k === "end" ? latestLive(o.pick) : pick(o.pick);
          if (id !== undefined) expect(index.delete(id)).toBe(model.delete(id));
        }
        const base = (index as unknown as { base: number }).base;
        if (base !== lastBase) {
          compactions++;
          lastBase = base;
        }
      }
      expect(index.size).toBe(model.size);
      for (const id of new Set(known)) {
        expect(index.get(id)).toBe(model.get(id));
        expect(index.has(id)).toBe(model.has(id));
      }
      expect(index.get("ag_t0t0t0_")).toBeUndefined();
      const odd: unknown[] = [undefined, null, 7, {}];
      for (const o of odd) expect(index.get(o as string)).toBeUndefined();
      expect(index.get("ag_t0t0t0_A")).toBeUndefined();
      const entries = [...index.entries()];
      expect(new Map(entries)).toEqual(model);
      expect(entries.length).toBe(model.size);
      expect([...index.keys()]).toEqual(entries.map(([id]) => id));
      expect([...index.values()]).toEqual(entries.map(([, p]) => p));
      const seen: string[] = [];
      index.forEach((p, id) => {
        expect(p.id).toBe(id);
        seen.push(id);
      });
      expect(seen).toEqual(entries.map(([id]) => id));
    }), { numRuns: 40, endOnFailure: true });
    // The sequences did cross compactions (the array started again after its highest counter).
    expect(compactions).toBeGreaterThan(200);
  });

  it("numbers agents apart from letters: their counters stay dense", () => {
    const ids = new CounterIds("d0d0d0");
    const a = ids.agent();
    for (let i = 0; i < 50; i++) ids.message();
    const b = ids.agent();
    expect(ids.agentNumber(b) - ids.agentNumber(a)).toBe(1);
    expect(new Set([a, b, ids.message(), ids.conversation()]).size).toBe(4);
  });

  it("keeps the array bounded by the live agents, not by every agent that ever lived", () => {
    const ids = new CounterIds("b0b0b0");
    const index = new ProcIndex(ids);
    const keep = ids.agent();
    index.set(keep, proc(keep));
    for (let i = 0; i < 200_000; i++) {
      const id = ids.agent();
      index.set(id, proc(id));
      index.delete(id);
    }
    expect(index.size).toBe(1);
    expect(index.get(keep)?.id).toBe(keep);
    // The array's length is private; what it holds shows as the slots iteration walks.
    const slots = (index as unknown as { local: unknown[] }).local.length;
    expect(slots).toBeLessThan(2048);
  });
});
