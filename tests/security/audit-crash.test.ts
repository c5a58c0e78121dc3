/**
 * Crash test for packed aggregates (ADR 0034): a child process (audit-crash-child.ts) counts allowed
 * sends of twelve agents into the aggregator and writes a batch of packed entries every few hundred
 * sends, acknowledging each batch's per-agent counts on stdout after its commit; the test SIGKILLs
 * it at a random moment (after 0-5 acknowledgements plus 0-15 ms, so most kills land mid-interval)
 * and starts the next child on the same log, AIOS_AUDIT_KILLS times (default 8). After every kill:
 * the log verifies with no problem at all (chain, Merkle heads, signed checkpoints, aggregate
 * accounting — a killed writer never leaves half a batch or a hole in the call numbering), every
 * acknowledged batch is there with exactly the counts acknowledged, and at most the one batch whose
 * acknowledgement the kill cut off is there beyond them. The child is bundled once with esbuild
 * (packages external) so a cycle costs a plain `node` start.
 */
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { SeededRandom } from "../../src/core/index.js";
import { AuditReader, verifyAudit } from "../../src/audit/index.js";
import { killAfterLines } from "../helpers/kill-after.js";

const KILLS = Number(process.env["AIOS_AUDIT_KILLS"] ?? 8);
const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "aios-audit-crash-"));
// Inside the repository (tmp/ is ignored) so that the bundle's bare imports resolve from node_modules.
const bundleDir = join(here, "..", "..", "tmp", `audit-crash-${process.pid}`);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(bundleDir, { recursive: true, force: true });
});

interface Ack {
  readonly batch: number;
  readonly counts: Record<string, number>;
}

async function killOnce(bundle: string, dataDir: string, keyPath: string, seed: number, acks: number, extraMs: number): Promise<Ack[]> {
  const acked: Ack[] = [];
  await killAfterLines([bundle, dataDir, keyPath, String(seed)], {
    lines: acks + 1, // the child's "ready" line, then `acks` acknowledgements
    extraMs,
    onLine: (line) => {
      if (line !== "ready") acked.push(JSON.parse(line) as Ack);
      return true;
    },
  });
  return acked;
}

/** Per batch, per agent: the calls the log's packed entries count (read through each agent's history). */
function logged(dataDir: string, agents: readonly string[]): Map<number, Record<string, number>> {
  const reader = AuditReader.open(dataDir);
  try {
    const out = new Map<number, Record<string, number>>();
    for (const agent of agents) {
      for (const e of reader.entries({ agent, limit: 100_000 })) {
        if (e.kind !== "aggregate") continue;
        const b = Number(e.data["batch"]);
        const counts = out.get(b) ?? {};
        counts[agent] = (counts[agent] ?? 0) + Number(e.data["count"]);
        out.set(b, counts);
      }
    }
    return out;
  } finally {
    reader.close();
  }
}

describe("packed aggregates under SIGKILL", () => {
  it(`leave a chain that verifies and every acknowledged batch exact over ${KILLS} kills`, async () => {
    const bundle = join(bundleDir, "child.mjs");
    buildSync({ entryPoints: [join(here, "audit-crash-child.ts")], bundle: true, platform: "node", format: "esm", packages: "external", outfile: bundle, logLevel: "error" });
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const keyPath = join(dir, "key.pem");
    writeFileSync(keyPath, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    const dataDir = join(dir, "audit");
    mkdirSync(dataDir, { mode: 0o700 });
    const agents = Array.from({ length: 12 }, (_, i) => `ag_${i}`);
    const acked = new Map<number, Record<string, number>>();
    const rng = new SeededRandom(1812);
    let midInterval = 0;
    for (let k = 0; k < KILLS; k++) {
      const acks = await killOnce(bundle, dataDir, keyPath, 7000 + k, Math.floor(rng.next() * 6), Math.floor(rng.next() * 16));
      for (const a of acks) acked.set(a.batch, a.counts);
      const r = verifyAudit({ dataDir, publicKey });
      expect(r.problems, `after kill ${k + 1}`).toEqual([]);
      const inLog = logged(dataDir, agents);
      for (const [batch, counts] of acked) expect([batch, inLog.get(batch)]).toEqual([batch, counts]);
      // Beyond what was acknowledged: at most the batch committed just before the kill.
      const unacked = [...inLog.keys()].filter((b) => !acked.has(b));
      expect(unacked.length, `after kill ${k + 1}: batches ${unacked.join(", ")} were never acknowledged`).toBeLessThanOrEqual(1);
      for (const b of unacked) acked.set(b, inLog.get(b) ?? {});
      if (acks.length === 0 || unacked.length === 0) midInterval++;
    }
    // The numbering continued across every restart: batches 1..n, none missing.
    const batches = [...acked.keys()].sort((a, b) => a - b);
    expect(batches).toEqual(batches.map((_, i) => i + 1));
    expect(batches.length).toBeGreaterThan(KILLS);
    expect(midInterval).toBeGreaterThan(0);
  }, 120_000);
});
