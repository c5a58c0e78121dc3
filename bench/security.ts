/**
 * `npm run bench -- security`: the capability hot path (cached check) and cold token verification
 * per scheme; then the audit figures (bench/audit-figures.ts `auditFigures(emit)`) and the sandbox
 * start overhead (bench/tools-figures.ts `toolFigures(emit)`) when those helpers exist — they are
 * owned by the audit and tools engineers and loaded by path so this suite runs without them; and the
 * cost of isolated code agents beside trusted ones (bench/isolation-figures.ts).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { RealClock, type AgentId, type TenantId } from "../src/core/index.js";
import type { Caller } from "../src/abi/index.js";
import { Security, type Scheme } from "../src/security/index.js";
import { percentile, type Emit, type Suite } from "./harness.js";
import { isolationFigures } from "./isolation-figures.js";

function hotPath(emit: Emit): void {
  const sec = new Security({ clock: new RealClock(), rootAlg: "ed25519" });
  const caller: Caller = { agent: "ag_bench" as AgentId, tenant: "t" as TenantId, name: "bench", capabilities: ["file:/data/**#read", "agent:*#send", "llm:*#invoke"], taint: new Set(), priority: 0 };
  const reqs = [
    { resource: "file:/data/a/b.txt", action: "read" },
    { resource: "agent:ag_x", action: "send" },
    { resource: "llm:tiny", action: "invoke" },
  ];
  for (let i = 0; i < 200_000; i++) sec.checker.check(caller, reqs[i % 3]!);
  // Timing one ~100 ns call with a ~50 ns timer is noise; time batches and report per-call means.
  const batch = 1000;
  const samples: number[] = [];
  let allowed = 0;
  for (let b = 0; b < 2000; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) if (sec.checker.check(caller, reqs[i % 3]!).allowed) allowed++;
    samples.push(Number(process.hrtime.bigint() - t0) / batch / 1000);
  }
  if (allowed !== 2000 * batch) throw new Error("hot-path check denied a granted request");
  const workload = "TokenCapabilityChecker.check, warm wallet cache, 3 rotating requests over a spec token with 3 capabilities; 2,000 batches of 1,000 calls, per-call mean of each batch";
  const med = percentile(samples, 50);
  emit({ metric: "cap_check_hot_median", value: med, unit: "us", workload, target: "<= 1 us", pass: med <= 1 });
  emit({ metric: "cap_check_hot_p99", value: percentile(samples, 99), unit: "us", workload });
}

function coldVerify(emit: Emit): void {
  const sec = new Security({ clock: new RealClock(), rootAlg: "hybrid" });
  const now = Date.now();
  for (const scheme of ["hmac", "ed25519", "hybrid"] as Scheme[]) {
    const root = sec.authority.mint({ holder: "ag_a", caps: ["file:/data/**#read", "agent#spawn{max=5}"], scheme, exp: now + 3_600_000 });
    const token = scheme === "hmac" ? root : sec.authority.delegate(root, { holder: "ag_b", caps: ["file:/data/x/**#read"] });
    const n = scheme === "hybrid" ? 200 : 3000;
    for (let i = 0; i < Math.min(n, 50); i++) sec.authority.verify(token);
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      sec.authority.verify(token);
      samples.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
    const blocks = token.blocks.length;
    const workload = `TokenAuthority.verify (no cache) of a ${blocks}-block ${scheme} token: signatures, issuer chain, attenuation, window, revocation; ${n} runs`;
    emit({ metric: `token_verify_cold_${scheme}_median`, value: percentile(samples, 50), unit: "us", workload });
    emit({ metric: `token_verify_cold_${scheme}_p99`, value: percentile(samples, 99), unit: "us", workload });
  }
}

async function helper(emit: Emit, file: string, exportName: string): Promise<void> {
  const path = fileURLToPath(new URL(file, import.meta.url));
  if (!existsSync(path)) {
    process.stderr.write(`security bench: ${file} not present; its figures are skipped\n`);
    return;
  }
  const mod = (await import(path)) as Record<string, unknown>;
  const fn = mod[exportName];
  if (typeof fn !== "function") throw new Error(`${file} does not export ${exportName}(emit)`);
  await (fn as (e: Emit) => Promise<void> | void)(emit);
}

const suite: Suite = async (emit, args) => {
  hotPath(emit);
  coldVerify(emit);
  await isolationFigures(emit);
  if (!args.includes("--no-helpers")) {
    await helper(emit, "./audit-figures.ts", "auditFigures");
    await helper(emit, "./tools-figures.ts", "toolFigures");
  }
};

export default suite;
