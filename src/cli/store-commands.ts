/**
 * `aios status` without an agent id: the store's health as the daemon found it at boot — records
 * verified, damage repaired (nothing acknowledged lost), and the last loss an operator accepted with
 * `aios recover --accept-loss`. `storeLines` renders it for `aios up` and `aios recover` too.
 */
import type { StoreHealth } from "../kernel/index.js";
import type { CliContext } from "./context.js";

export function storeLines(h: StoreHealth): { lines: string[]; damaged: boolean } {
  const lines = [`journal: ${h.records} record(s) verified in ${h.durationMs.toFixed(0)} ms`];
  for (const f of h.findings) lines.push(`journal damage repaired, nothing acknowledged lost: ${f}`);
  if (h.lost !== undefined) {
    const when = new Date(h.lost.acceptedAt).toISOString();
    lines.push(`${h.acceptedNow ? "LOSS ACCEPTED NOW" : "loss accepted"} at ${when}: ${h.lost.count} acknowledged record(s), seq ${h.lost.fromSeq}..${h.lost.toSeq} — ${h.lost.reason}`);
  }
  return { lines, damaged: h.findings.length > 0 || h.acceptedNow || h.lost !== undefined };
}

export async function storeStatus(ctx: CliContext): Promise<number> {
  const h = await ctx.connect().store();
  ctx.out.result(h, () => {
    for (const l of storeLines(h).lines) ctx.out.line(l);
  });
  return 0;
}
