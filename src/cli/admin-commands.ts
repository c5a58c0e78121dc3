/**
 * The operator's security commands: `cap grant|revoke|ls|explain`, `audit verify`, `approvals` and
 * `escalations`. `audit verify` needs no daemon: with none running it verifies the files directly
 * (gateway's verifier, imported only then: it loads the audit stack).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AiosError } from "../core/index.js";
import type { AuditVerifyReport } from "../gateway/index.js";
import type { CliContext } from "./context.js";
import { EXIT } from "./exit-codes.js";
import { approvalTable, escalationTable, explanationText, tokenTable } from "./render.js";

/** The agent's id for a name or id (the capability routes take ids only): E_NO_AGENT when unknown. */
async function agentId(api: ReturnType<CliContext["connect"]>, idOrName: string): Promise<string> {
  return (await api.status(idOrName)).id;
}

export async function capLs(ctx: CliContext, agent: string): Promise<number> {
  const api = ctx.connect();
  const tokens = await api.caps(await agentId(api, agent));
  ctx.out.result(tokens, () => ctx.out.line(tokenTable(tokens)));
  return 0;
}

export async function capGrant(ctx: CliContext, agent: string, capability: string, ttlMs?: number): Promise<number> {
  const api = ctx.connect();
  const t = await api.grant(await agentId(api, agent), capability, ttlMs);
  ctx.out.result(t, () => ctx.out.line(`granted ${capability} to ${agent}: token ${t.id} (expires ${new Date(t.exp).toISOString()})`));
  return 0;
}

export async function capRevoke(ctx: CliContext, token: string): Promise<number> {
  const r = await ctx.connect().revoke(token);
  ctx.out.result(r, () => ctx.out.line(`revoked ${token} (${r.revoked} token(s) including delegations)`));
  return 0;
}

/** Exit 0 when allowed, 1 when denied: scripts can test a permission. */
export async function capExplain(ctx: CliContext, agent: string, action: string, syscall?: string): Promise<number> {
  const api = ctx.connect();
  const x = await api.explain(await agentId(api, agent), action, syscall);
  ctx.out.result(x, () => ctx.out.line(explanationText(x)));
  return x.allowed ? 0 : 1;
}

async function verifyAuditDir(dataDir: string, pins?: { pubkey?: string; head?: string }): Promise<AuditVerifyReport> {
  return (await import("../gateway/index.js")).verifyAuditDir(dataDir, pins);
}

export async function auditVerify(ctx: CliContext, o: { pubkey?: string; head?: string } = {}): Promise<number> {
  const live = ctx.daemon() !== undefined;
  const pinned = o.pubkey !== undefined || o.head !== undefined;
  // A data dir without an audit log is a wrong --data-dir (exit 2), not a failed verification (4).
  if ((pinned || !live) && !existsSync(join(ctx.dataDir, "audit", "audit.db"))) {
    const why = existsSync(ctx.dataDir) ? "holds no audit log (no audit/audit.db)" : "does not exist";
    throw new AiosError("E_INVALID_ARG", `--data-dir: ${ctx.dataDir} ${why}; give the data dir \`aios up\` uses (or set $AIOS_HOME)`, { details: { path: "data-dir" } });
  }
  // With pins the files are verified here, by this process, against what the operator kept elsewhere.
  if (pinned) {
    const pins = { ...(o.pubkey === undefined ? {} : { pubkey: readPin(o.pubkey, "--pubkey") }), ...(o.head === undefined ? {} : { head: readPin(o.head, "--head") }) };
    const r = await ctx.out.progress("verifying the audit log", Promise.resolve().then(() => verifyAuditDir(ctx.dataDir, pins)));
    ctx.out.result(r, () => ctx.out.line(r.report));
    return r.ok ? 0 : EXIT.AUDIT_FAILED;
  }
  ctx.out.note(live ? `verifying through the daemon for ${ctx.dataDir}` : `no daemon: verifying the files in ${ctx.dataDir}/audit`);
  const r = await ctx.out.progress("verifying the audit log", live ? ctx.connect().auditVerify() : Promise.resolve().then(() => verifyAuditDir(ctx.dataDir)));
  ctx.out.result(r, () => ctx.out.line(r.report));
  return r.ok ? 0 : EXIT.AUDIT_FAILED;
}

function readPin(path: string, flag: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new AiosError("E_NOT_FOUND", `${flag}: cannot read ${path}`, { cause: e, details: { path: flag } });
  }
}

export async function approvals(ctx: CliContext, status?: string): Promise<number> {
  const s = status === undefined ? undefined : parseStatus(status);
  const rs = await ctx.connect().approvals(s);
  ctx.out.result(rs, () => ctx.out.line(approvalTable(rs)));
  return 0;
}

function parseStatus(s: string): "pending" | "approved" | "denied" | "expired" {
  if (s === "pending" || s === "approved" || s === "denied" || s === "expired") return s;
  throw new AiosError("E_INVALID_ARG", `--status: expected pending, approved, denied or expired, got "${s}"`, { details: { path: "status" } });
}

export async function decideApproval(ctx: CliContext, id: string, decision: "approve" | "deny", note?: string): Promise<number> {
  const r = await ctx.connect().decideApproval(id, decision, process.env["USER"] ?? "operator", note);
  ctx.out.result(r, () => ctx.out.line(`${r.id} ${r.status} (${r.agentName} ${r.syscall})`));
  return 0;
}

export async function escalations(ctx: CliContext): Promise<number> {
  const es = await ctx.connect().escalations();
  ctx.out.result(es, () => ctx.out.line(escalationTable(es)));
  return 0;
}

export async function decideEscalation(ctx: CliContext, id: string, decision: string): Promise<number> {
  if (decision !== "restart" && decision !== "abandon") {
    throw new AiosError("E_INVALID_ARG", `decision: expected restart or abandon, got "${decision}"`, { details: { path: "decision" } });
  }
  const r = await ctx.connect().decideEscalation(id, decision);
  ctx.out.result(r, () => ctx.out.line(r.restarted === undefined ? `${id} abandoned` : `${id}: restarted as ${r.restarted}`));
  return 0;
}
