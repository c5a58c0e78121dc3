/**
 * Packed aggregates (ADR 0034) as properties: the calls an agent's audit history counts are exactly
 * the sends it made.
 *
 * 0. The text a packed entry is written as (built in one pass, not by walking its data) is the
 *    canonical encoding of its data, for any agent names and grants; a secret in it is redacted.
 * 1. The log alone: random allowed calls of random agents under random grants, denials between them,
 *    interval ends and writer restarts (the log closed and reopened, the numbering continued from its
 *    mark), packed at a random number of rows per entry. Each agent's history
 *    (`AuditReader.entries({ agent })`) counts, per grant, exactly the calls made, and the log verifies.
 * 2. The default stack (`boot({ dataDir })`): code agents, some holding `agent:*#send` (a lease: the
 *    fast path's tally) and some only `agent:<peer>#send` for their peers (checked per target,
 *    tallied per grant), each sending a random number of messages to random peers with
 *    `await ctx.send`. Each agent's audit history counts exactly the sends it made, each peer got
 *    them, and the log verifies.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPairSync } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/index.js";
import { AuditLog, AuditReader, canonicalize, packBatch, parsePacked, verifyAudit } from "../../src/audit/index.js";
import { encodeContent } from "../../src/audit/encode.js";
import { Redactor } from "../../src/security/index.js";
import { Aggregator, AGGREGATE_META, parseMark } from "../../src/audit/aggregate.js";
import { boot, silentLogger, type AgentId, type AgentLogic } from "../../src/index.js";

type Step =
  | { readonly op: "send"; readonly agent: number; readonly grant: number; readonly target: number; readonly times: number }
  | { readonly op: "deny"; readonly agent: number }
  | { readonly op: "interval" }
  | { readonly op: "restart" };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant("send" as const), agent: fc.nat(7), grant: fc.nat(2), target: fc.nat(9), times: fc.integer({ min: 1, max: 20 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("deny" as const), agent: fc.nat(7) }) },
  { weight: 2, arbitrary: fc.constant<Step>({ op: "interval" }) },
  { weight: 1, arbitrary: fc.constant<Step>({ op: "restart" }) },
);

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

describe("packed aggregates (property)", () => {
  it("the text a packed entry is written as is the canonical encoding of its data, and parses back to it", () => {
    const rowArb = fc.record({
      agent: fc.string({ unit: "grapheme", maxLength: 12 }),
      syscall: fc.constantFrom("SemanticSend", "SemanticSubscribe"),
      by: fc.string({ unit: "grapheme", maxLength: 16 }),
      count: fc.integer({ min: 1, max: 5 }),
      digest: fc.stringMatching(/^[0-9a-f]{16}$/),
    });
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 4 }), (given, perEntry) => {
        let seq = 0;
        const rows = given.map((r) => {
          const first = seq + 1;
          seq += r.count;
          return { ...r, first, last: seq };
        });
        const parts = packBatch({ batch: 3, firstSeq: 1, lastSeq: seq, from: 10, to: 20 }, rows, perEntry);
        for (const p of parts) {
          expect(p.dataJson).toBe(canonicalize(p.data));
          expect(parsePacked(JSON.parse(p.dataJson))).toEqual(p.data);
        }
        expect(sum(parts.map((p) => Number(p.data["count"])))).toBe(seq);
      }),
      { numRuns: 300 },
    );
  });

  it("a secret inside a packed entry's text is redacted (the entry takes the object route)", () => {
    const redactor = new Redactor();
    redactor.add("KEY", "s3cr3t-value");
    const redact = (v: unknown): unknown => redactor.redact(v);
    const [clean] = packBatch({ batch: 1, firstSeq: 1, lastSeq: 1, from: 0, to: 1 }, [{ agent: "ag_a", syscall: "SemanticSend", by: "token:t agent:*#send", count: 1, first: 1, last: 1, digest: "0".repeat(16) }]);
    const [leaky] = packBatch({ batch: 1, firstSeq: 1, lastSeq: 1, from: 0, to: 1 }, [{ agent: "ag_a", syscall: "SemanticSend", by: "token:t s3cr3t-value", count: 1, first: 1, last: 1, digest: "0".repeat(16) }]);
    if (clean === undefined || leaky === undefined) throw new Error("nothing packed");
    expect(encodeContent(clean, 0, redact).dataJson).toBe(clean.dataJson);
    const out = encodeContent(leaky, 0, redact).dataJson;
    expect(out).not.toContain("s3cr3t");
    expect(out).toContain("[REDACTED:KEY]");
    expect(out).toBe(canonicalize(JSON.parse(out)));
  });

  it("an agent's history counts exactly the calls it made, per grant, across intervals and restarts", () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 5 }), (steps, rowsPerEntry) => {
        const dataDir = mkdtempSync(join(tmpdir(), "aios-audit-packed-"));
        const { privateKey, publicKey } = generateKeyPairSync("ed25519");
        const clock = new SimulatedClock(1_000_000);
        try {
          const open = (): { log: AuditLog; agg: Aggregator } => {
            const log = new AuditLog({ dataDir, signer: privateKey, clock, checkpointEvery: 7 });
            const agg = new Aggregator({ appendAll: (cs) => log.appendAll(cs), note: (k, v) => log.note(k, v), commit: () => void log.flush() }, clock, 1000, parseMark(log.meta(AGGREGATE_META)), { rowsPerEntry });
            return { log, agg };
          };
          let { log, agg } = open();
          const made = new Map<string, number>(); // "agent grant" -> calls
          for (const s of steps) {
            clock.advance(10);
            if (s.op === "send") {
              const agent = `ag_${s.agent}`;
              const by = `token:cap_${s.grant} agent:*#send`;
              for (let i = 0; i < s.times; i++) agg.tally(agent, "SemanticSend", by).hit(`ag_${s.target}`);
              made.set(`${agent} ${by}`, (made.get(`${agent} ${by}`) ?? 0) + s.times);
            } else if (s.op === "deny") {
              log.append({ kind: "syscall", agent: `ag_${s.agent}`, data: { decision: "denied", reason: "no", syscall: "SemanticSend" } });
            } else if (s.op === "interval") {
              agg.flush();
            } else {
              // An orderly restart: the interval so far is written, the log sealed, then reopened.
              agg.flush();
              log.close();
              ({ log, agg } = open());
            }
          }
          agg.flush();
          log.close();
          expect(verifyAudit({ dataDir, publicKey }).problems).toEqual([]);
          const reader = AuditReader.open(dataDir);
          try {
            for (let a = 0; a < 8; a++) {
              const agent = `ag_${a}`;
              const counted = new Map<string, number>();
              for (const e of reader.entries({ agent, limit: 100_000 })) {
                if (e.kind !== "aggregate") continue;
                expect(e.agent).toBe(agent);
                const key = `${agent} ${String(e.data["by"])}`;
                counted.set(key, (counted.get(key) ?? 0) + Number(e.data["count"]));
              }
              const expected = new Map([...made].filter(([k]) => k.startsWith(`${agent} `)));
              expect(counted).toEqual(expected);
            }
          } finally {
            reader.close();
          }
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      }),
      { numRuns: 40 },
    );
  }, 60_000);

  it("on the default stack, each agent's history counts exactly the sends it made", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 5 }),
        fc.array(fc.tuple(fc.nat(4), fc.nat(4), fc.integer({ min: 1, max: 30 })), { minLength: 1, maxLength: 10 }),
        fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        async (n, plan, wildcard) => {
          const dataDir = mkdtempSync(join(tmpdir(), "aios-audit-packed-stack-"));
          const os = await boot({ dataDir, logger: silentLogger, subsystems: { embedder: false, memory: false, mcp: false, audit: { aggregateRows: 2 } } });
          try {
            const got = new Map<string, number>();
            const receiver: AgentLogic<null> = {
              init: () => null,
              receive: (s, m, ctx) => {
                const from = (m as { from?: string }).from;
                if (from === undefined) ctx.reply("seen");
                else got.set(from, (got.get(from) ?? 0) + 1);
                return s;
              },
            };
            const sinks: AgentId[] = [];
            for (let i = 0; i < n; i++) sinks.push(await os.spawn({ name: `sink${i}`, kind: "code", ephemeral: true, logic: receiver }));
            const sender: AgentLogic<null> = {
              init: () => null,
              receive: async (s, m, ctx) => {
                const { to, times, me } = m as { to: AgentId; times: number; me: string };
                for (let i = 0; i < times; i++) await ctx.send(to, { from: me });
                ctx.reply("done");
                return s;
              },
            };
            const senders: AgentId[] = [];
            for (let i = 0; i < n; i++) {
              // A wildcard grant is leased (the fast path's tally); named peers are checked per target.
              const caps = wildcard[i] === true ? ["agent:*#send"] : sinks.map((t) => `agent:${t}#send`);
              senders.push(await os.spawn({ name: `sender${i}`, kind: "code", ephemeral: true, logic: sender, capabilities: caps }));
            }
            const made = new Map<string, number>();
            for (const [from, to, times] of plan) {
              const s = senders[from % n] as AgentId;
              await os.request(s, { to: sinks[to % n], times, me: s });
              made.set(s, (made.get(s) ?? 0) + times);
            }
            // A mailbox is FIFO: a sink answering this has handled every letter sent to it before.
            for (const t of sinks) await os.request(t, {});
            os.audit.drain();
            expect(got).toEqual(made);
            for (const s of senders) {
              const counted = os.audit.entries({ agent: s, limit: 100_000 }).filter((e) => e.kind === "aggregate" && e.data["syscall"] === "SemanticSend");
              expect([s, sum(counted.map((e) => Number(e.data["count"])))]).toEqual([s, made.get(s) ?? 0]);
              // Allowed sends are counted, never entries of their own.
              expect(os.audit.entries({ agent: s, limit: 100_000 }).filter((e) => e.kind === "syscall" && e.data["syscall"] === "SemanticSend")).toEqual([]);
            }
            expect(os.audit.verify().ok).toBe(true);
          } finally {
            await os.shutdown();
            rmSync(dataDir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 6 },
    );
  }, 120_000);
});
