/**
 * Soak (issue #17 item 1): N agents on the default stack (`boot({ dataDir })`: journal store,
 * security, audit, tools, sched, ipc) forwarding tokens to random peers with ctx.send for a set time,
 * printing every `--every` seconds one JSON line: messages delivered and the rate, heap after a
 * full GC, RSS, audit and journal bytes on disk, audit entries. At the end a summary: heap growth
 * from minute 1 to the end (the target: < 5 %), audit bytes per message. The heap after a GC
 * still holds what is in flight at that moment (a durable relay: letters, records waiting for their
 * commit), which moves it by a quarter from one sample to the next; so the growth compares the
 * median of the minute after minute 1 with the median of the last minute, and the summary adds the
 * least-squares trend over every sample from minute 1 (per cent of the first median, per minute).
 *
 *   npm run soak -- [--agents=10000] [--minutes=10] [--tokens=20000] [--every=10] [--durable] [--awaited] [--dir=PATH]
 *
 * Runs outside CI (it takes minutes); --expose-gc comes from the npm script.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { boot, type AgentContext, type AgentId, type AgentLogic } from "../src/index.js";

function arg(name: string, fallback: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  const v = a === undefined ? fallback : Number(a.slice(name.length + 3));
  if (!Number.isFinite(v) || v <= 0) {
    process.stderr.write(`--${name} must be a positive number\n`);
    process.exit(2);
  }
  return v;
}

const agents = Math.trunc(arg("agents", 10_000));
const minutes = arg("minutes", 10);
const tokens = Math.trunc(arg("tokens", 2 * agents));
const every = arg("every", 10);
const durable = process.argv.includes("--durable");
const awaited = process.argv.includes("--awaited");
const given = process.argv.find((x) => x.startsWith("--dir="))?.slice(6);

/** Bytes of every file under `dir` (recursively). */
function bytesUnder(dir: string): number {
  let n = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const f of names) {
    const p = join(dir, f);
    const s = statSync(p, { throwIfNoEntry: false });
    if (s === undefined) continue;
    n += s.isDirectory() ? bytesUnder(p) : s.size;
  }
  return n;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

const mb = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10;

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** Least-squares slope of y over x (0 for fewer than two points). */
function trend(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function main(): Promise<void> {
  const dir = given ?? mkdtempSync(join(tmpdir(), "aios-soak-"));
  const os = await boot({ dataDir: dir, subsystems: { embedder: false, memory: false, mcp: false } });
  const ids: AgentId[] = [];
  let delivered = 0;
  let running = true;
  let seed = 0x2545f491;
  const next = (): AgentId => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return ids[(seed >>> 0) % agents] as AgentId;
  };
  const logic: AgentLogic<number> = awaited
    ? { init: (_c, a) => a as number, receive: async (s, _m, ctx: AgentContext) => { delivered++; if (running) await ctx.send(next(), 1); return s; } }
    : { init: (_c, a) => a as number, receive: (s, _m, ctx: AgentContext) => { delivered++; if (running) void ctx.send(next(), 1); return s; } };
  const mode = durable ? { durable: true } : { ephemeral: true };
  for (let i = 0; i < agents; i += 500) {
    ids.push(...(await Promise.all(Array.from({ length: Math.min(500, agents - i) }, (_, j) =>
      os.spawn({ name: `s${i + j}`, kind: "code", ...mode, logic, args: i + j, capabilities: ["agent:*#send"], mailbox: { capacity: tokens + 1, onFull: "fail" } })))));
  }
  for (let t = 0; t < tokens; t += 500) await Promise.all(Array.from({ length: Math.min(500, tokens - t) }, (_, j) => os.send(ids[(t + j) % agents] as AgentId, 1)));
  const t0 = performance.now();
  let last = { t: t0, d: 0 };
  const samples: { s: number; heap: number; delivered: number; audit: number }[] = [];
  const end = t0 + minutes * 60_000;
  process.stdout.write(JSON.stringify({ soak: "start", agents, tokens, minutes, durable, awaited, dir }) + "\n");
  while (performance.now() < end) {
    await new Promise((r) => setTimeout(r, every * 1000));
    const now = performance.now();
    const d = delivered;
    gc();
    const mem = process.memoryUsage();
    const audit = bytesUnder(join(dir, "audit"));
    const row = {
      s: Math.round((now - t0) / 1000),
      delivered: d,
      rate: Math.round((d - last.d) / ((now - last.t) / 1000)),
      heapMB: mb(mem.heapUsed),
      rssMB: mb(mem.rss),
      auditMB: mb(audit),
      journalMB: mb(bytesUnder(join(dir, "journal"))),
      auditEntries: os.audit.size,
      capDecisions: os.caps.checker.cacheStats().decisions,
    };
    samples.push({ s: row.s, heap: mem.heapUsed, delivered: d, audit });
    process.stdout.write(JSON.stringify(row) + "\n");
    last = { t: now, d };
  }
  running = false;
  const settled = samples.filter((x) => x.s >= 60);
  const kept = settled.length > 0 ? settled : samples;
  const per = Math.max(1, Math.round(60 / every));
  const firstMin = kept.slice(0, per);
  const lastMin = kept.slice(-per);
  const final = samples[samples.length - 1];
  if (firstMin.length > 0 && final !== undefined) {
    const from = median(firstMin.map((x) => x.heap));
    const to = median(lastMin.map((x) => x.heap));
    const growth = (to - from) / from;
    const slope = trend(kept.map((x) => [x.s / 60, x.heap]));
    process.stdout.write(JSON.stringify({
      soak: "summary",
      fromS: firstMin[0]?.s,
      toS: final.s,
      heapFirstMinuteMB: mb(from),
      heapLastMinuteMB: mb(to),
      heapGrowthPct: Math.round(growth * 1000) / 10,
      heapTrendPctPerMin: Math.round((slope / from) * 1000) / 10,
      target: "< 5 %",
      pass: growth < 0.05,
      messages: final.delivered,
      auditBytesPerMsg: Math.round((final.audit / Math.max(1, final.delivered)) * 100) / 100,
    }) + "\n");
  }
  await new Promise((r) => setTimeout(r, 100));
  await os.shutdown();
  if (given === undefined) rmSync(dir, { recursive: true, force: true });
}

await main();
