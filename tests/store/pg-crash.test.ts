/**
 * Crash recovery of the journal on PostgreSQL with real processes: a child appends from 20
 * producers and prints each acknowledged record; we kill -9 either the child or the whole
 * PostgreSQL server (postmaster and backends) at a seeded moment, then reopen the journal in
 * "refuse" mode (recovery verifies every record) and check that every acknowledged record is there
 * exactly once. Acknowledged means committed with synchronous_commit=on.
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Journal, PgDriver } from "../../src/store/index.js";
import { usePostgres } from "../helpers/postgres.js";
import { bundleChild } from "./crash-harness.js";

const pg = usePostgres();
const ITERATIONS = Number(process.env["AIOS_PG_CRASH_ITERATIONS"] ?? 3);
const SEED = Number(process.env["AIOS_PG_CRASH_SEED"] ?? 20261205);

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs the child until `acksBeforeKill` acks arrived, then kills the target; returns the acked ids. */
async function runOnce(bundle: string, url: string, schema: string, runId: string, acksBeforeKill: number, target: "child" | "server"): Promise<string[]> {
  const child = spawn(process.execPath, [bundle, url, schema, runId, "100000"], { stdio: ["ignore", "pipe", "inherit"] });
  const acked: string[] = [];
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let buf = "";
  let killed = false;
  let stopped: Promise<void> = Promise.resolve();
  await new Promise<void>((resolve, reject) => {
    child.once("exit", (code, signal) => (killed ? resolve() : reject(new Error(`child exited early (${code ?? signal})`))));
    child.stdout.on("data", (b: Buffer) => {
      buf += b.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith("ack ")) acked.push(line.split(" ")[2] as string);
        if (!killed && acked.length >= acksBeforeKill) {
          killed = true;
          stopped = target === "server" ? pg().kill().then(() => pg().start()) : Promise.resolve();
          // A killed server fails the child's appends; the child goes too, then we verify.
          void stopped.then(() => child.kill("SIGKILL"), reject);
        }
      }
    });
  });
  await exited;
  await stopped;
  return acked;
}

describe("journal on PostgreSQL under kill -9", () => {
  it(`keeps every acknowledged record exactly once (${ITERATIONS} kills of the writer or of the server, seed ${SEED})`, async () => {
    const url = await pg().createDatabase("crash");
    const schema = "crash";
    const bundle = await bundleChild("-pg", "pg-ack-child.ts");
    const rand = prng(SEED);
    const acked: string[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const target = i % 3 === 2 ? "server" : "child";
      acked.push(...(await runOnce(bundle, url, schema, `r${i}`, 20 + Math.floor(rand() * 400), target)));
      const journal = await Journal.open(await PgDriver.open({ url, schema }));
      expect(journal.recovery.loss).toBeUndefined();
      const mailbox = journal.state.agents.get("a")?.mailbox;
      const missing = acked.filter((id) => mailbox?.has(id) !== true);
      expect(missing, `seed ${SEED}, iteration ${i}`).toEqual([]);
      await journal.close();
    }
    // Exactly once: no id twice among the stored records.
    const d = await PgDriver.open({ url, schema });
    const ids: string[] = [];
    for (let from = 1; ; ) {
      const rows = await d.read(from, 5000);
      if (rows.length === 0) break;
      for (const r of rows) if (r.kind === "enqueue") ids.push((JSON.parse(r.body) as { id: string }).id);
      from = (rows.at(-1)?.seq ?? from) + 1;
    }
    await d.close();
    expect(new Set(ids).size).toBe(ids.length);
    expect(acked.length).toBeGreaterThanOrEqual(ITERATIONS * 20);
  }, 120_000);
});
