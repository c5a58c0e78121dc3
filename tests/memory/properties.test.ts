import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { versionHash, type MemoryFabric } from "../../src/memory/index.js";
import { tempEnv, type Env } from "./helpers.js";

let env: Env | undefined;
afterEach(() => {
  env?.cleanup();
  env = undefined;
});

type Op =
  | { kind: "store"; agent: number; text: string }
  | { kind: "update"; agent: number; rec: number; text: string; stale: boolean }
  | { kind: "rollback"; agent: number; rec: number }
  | { kind: "delete"; agent: number; rec: number };

const AGENTS = ["a", "b", "c"];
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("store" as const), agent: fc.nat(2), text: fc.string({ minLength: 1, maxLength: 12 }) }),
  fc.record({ kind: fc.constant("update" as const), agent: fc.nat(2), rec: fc.nat(20), text: fc.string({ minLength: 1, maxLength: 12 }), stale: fc.boolean() }),
  fc.record({ kind: fc.constant("rollback" as const), agent: fc.nat(2), rec: fc.nat(20) }),
  fc.record({ kind: fc.constant("delete" as const), agent: fc.nat(2), rec: fc.nat(20) }),
);

/** Every parent exists, every hash matches its body, and the parent relation has no cycle. */
async function checkGraph(f: MemoryFabric, ids: string[]): Promise<void> {
  for (const id of ids) {
    const { versions, heads } = await f.history(id).catch(() => ({ versions: [], heads: [] as readonly string[] }));
    if (versions.length === 0) continue;
    const by = new Map(versions.map((v) => [v.hash, v]));
    for (const v of versions) {
      expect(versionHash({ recordId: v.recordId, type: v.type, content: v.content, tags: v.tags, parents: v.parents, deleted: v.deleted })).toBe(v.hash);
      for (const p of v.parents) expect(by.has(p)).toBe(true);
    }
    for (const h of heads) expect(by.has(h)).toBe(true);
    const state = new Map<string, 1 | 2>();
    const visit = (h: string): void => {
      const s = state.get(h);
      if (s === 2) return;
      expect(s).toBeUndefined(); // 1 = on the stack: a cycle
      state.set(h, 1);
      for (const p of by.get(h)?.parents ?? []) visit(p);
      state.set(h, 2);
    };
    for (const v of versions) visit(v.hash);
  }
}

describe("properties", () => {
  it("the version graph stays consistent under any sequence of writes by several agents", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), fc.constantFrom("lww" as const, "keep-both" as const), async (ops, merge) => {
        env = tempEnv();
        const f = await env.open({ merge });
        await f.grant("team", "a", "write");
        await f.grant("team", "b", "write");
        await f.grant("team", "c", "write");
        const recs: { id: string; first: string }[] = [];
        for (const op of ops) {
          const agent = AGENTS[op.agent] as string;
          env.clock.advance(1);
          const r = recs[op.kind === "store" ? 0 : op.rec % Math.max(1, recs.length)];
          try {
            if (op.kind === "store") {
              const s = await f.store({ type: "note", content: { text: op.text }, scope: "shared/team", agent });
              recs.push({ id: s.id, first: s.version });
            } else if (r !== undefined && op.kind === "update") await f.update(r.id, { content: { text: op.text }, agent, ...(op.stale ? { base: r.first } : {}) });
            else if (r !== undefined && op.kind === "rollback") await f.rollback(r.id, r.first, { agent });
            else if (r !== undefined && op.kind === "delete") await f.delete(r.id, { agent });
          } catch (e) {
            expect((e as { code?: string }).code).toBe("E_NOT_FOUND"); // writes to a deleted record
          }
        }
        await checkGraph(f, recs.map((r) => r.id));
        await f.close();
        env.cleanup();
        env = undefined;
      }),
      { numRuns: 15 },
    );
  });

  it("scope isolation: an agent never sees another agent's private records, whatever it queries", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ owner: fc.nat(2), text: fc.constantFrom("alpha plan", "beta secret", "gamma note", "alpha beta"), shared: fc.boolean(), v: fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }) }), { minLength: 1, maxLength: 15 }),
        fc.nat(2),
        fc.record({ text: fc.constantFrom("alpha", "beta", "secret plan", "gamma"), scope: fc.constantFrom(undefined, "agent", "global", "shared") }),
        async (records, who, q) => {
          env = tempEnv();
          const f = await env.open();
          const privateOf = new Map<string, string>();
          for (const r of records) {
            const agent = AGENTS[r.owner] as string;
            const s = await f.store({ type: "note", content: { text: r.text }, scope: r.shared ? "global" : "agent", embedding: r.v.some((x) => x !== 0) ? r.v : [1, 0, 0, 0], agent });
            if (!r.shared) privateOf.set(s.id, agent);
          }
          const me = AGENTS[who] as string;
          const filter = q.scope === undefined ? {} : { scope: q.scope };
          const hits = [
            ...(await f.query({ text: q.text, k: 50, agent: me, filter })),
            ...(await f.query({ vector: [1, 0, 0, 0], k: 50, agent: me, filter })),
            ...(await f.query({ text: q.text, vector: [0, 1, 0, 0], k: 50, agent: me, filter, mode: "hybrid" })),
          ];
          for (const h of hits) {
            const owner = privateOf.get(h.id);
            if (owner !== undefined) expect(owner).toBe(me);
          }
          for (const [id, owner] of privateOf) if (owner !== me) await expect(f.get(id, { agent: me })).rejects.toMatchObject({ code: "E_NOT_FOUND" });
          await f.close();
          env.cleanup();
          env = undefined;
        },
      ),
      { numRuns: 20 },
    );
  });
});
