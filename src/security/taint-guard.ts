/**
 * The taint guard: the default policy for tainted agents (issue #15 item 5), on unless the operator
 * turns it off (`security: { taintGuard: { mode: "off" } }`). While an agent's context holds
 * anything from an untrusted source (a web page, a file outside the trusted roots, a message from
 * another tenant or a tainted agent, a tainted memory record, an MCP result, a tool error carrying
 * any of those) a planted instruction may be steering it, so the calls an attacker wants most are
 * refused (`mode: "deny"`, the default) or parked for a person (`mode: "approve"`):
 *   egress  — a request to a host (`net:<host>:<port>`, a shell with network) not listed in `allowHosts`;
 *   shell   — `shell.execute` at all;
 *   spawn   — `AgentSpawn` or `agent.spawn`;
 *   secret  — any secret slot use (`secret:<name>#use`).
 * Optional categories: `write` (file writes and deletes) and `mcp` (any MCP server tool). The guard
 * reads only the caller's taint and the call's capability requests, so it judges ToolCall and
 * AgentSpawn (the syscalls whose requests name those resources); it is combined with the
 * operator's rules as deny-overrides: a deny from either wins, then an approval from either.
 */
import { z } from "zod";
import type { CapabilityRequest, PolicyDecision } from "../abi/index.js";
import { parseDuration } from "../capability/index.js";
import { AiosError } from "../core/index.js";

export const TAINT_GUARD_CATEGORIES = ["egress", "shell", "spawn", "secret", "write", "mcp"] as const;
export type TaintGuardCategory = (typeof TAINT_GUARD_CATEGORIES)[number];

export const TaintGuardSchema = z.strictObject({
  mode: z.enum(["deny", "approve", "off"]).default("deny"),
  guard: z.array(z.enum(TAINT_GUARD_CATEGORIES)).default(["egress", "shell", "spawn", "secret"]),
  /** Hosts (`api.example.com`, `*.example.com`, `host:port`) egress to which stays allowed while tainted. */
  allowHosts: z.array(z.string().min(1).max(256)).default([]),
  /** How long an approval waits (mode approve): `10m`, or milliseconds. */
  timeout: z.union([z.string(), z.number().int().positive()]).optional(),
});
export type TaintGuardOptions = z.input<typeof TaintGuardSchema>;

/** The syscalls whose capability requests can name what the guard protects. */
const GUARDED: ReadonlySet<string> = new Set(["ToolCall", "AgentSpawn"]);

export class TaintGuard {
  readonly mode: "deny" | "approve" | "off";
  /** The settings in force, as parsed (defaults filled in). */
  readonly settings: z.output<typeof TaintGuardSchema>;
  private readonly guard: ReadonlySet<TaintGuardCategory>;
  private readonly hosts: readonly RegExp[];
  private readonly timeoutMs: number | undefined;

  constructor(options: TaintGuardOptions = {}) {
    const r = TaintGuardSchema.safeParse(options);
    if (!r.success) {
      const path = `taintGuard.${(r.error.issues[0]?.path ?? []).map(String).join(".")}`;
      throw new AiosError("E_CONFIG", `${path}: ${r.error.issues[0]?.message ?? "invalid"}`, { details: { path } });
    }
    this.mode = r.data.mode;
    this.settings = r.data;
    this.guard = new Set(r.data.guard);
    this.hosts = r.data.allowHosts.map((h) => new RegExp(`^${h.replace(/[.+^${}()|[\]\\?]/g, "\\$&").replace(/\*/g, "[^:]*")}$`, "i"));
    const t = r.data.timeout;
    this.timeoutMs = t === undefined ? undefined : typeof t === "number" ? t : parseDuration(t);
    if (t !== undefined && this.timeoutMs === undefined) throw new AiosError("E_CONFIG", `taintGuard.timeout: "${String(t)}" is not a duration like 5m`, { details: { path: "taintGuard.timeout" } });
  }

  /** Whether the guard can decide a call of `syscall` (the policy's compiled fast path must then step aside). */
  judges(syscall: string): boolean {
    return this.mode !== "off" && GUARDED.has(syscall);
  }

  /** The guard's decision for a tainted caller's call, or undefined when it has nothing to say. */
  decide(taint: ReadonlySet<string>, syscall: string, reqs: readonly CapabilityRequest[]): PolicyDecision | undefined {
    if (taint.size === 0 || !this.judges(syscall)) return undefined;
    for (const req of reqs) {
      const category = this.categoryOf(req);
      if (category === undefined) continue;
      const labels = [...taint].slice(0, 4).join(", ") + (taint.size > 4 ? ` and ${taint.size - 4} more` : "");
      const what = `${category} (${req.resource}#${req.action})`;
      const rule = `taint-guard:${category}`;
      if (this.mode === "deny") return { effect: "deny", rule, reason: `${what} is refused while the agent is tainted by ${labels} (default taint guard; an operator may set taintGuard.mode to "approve" or list hosts in taintGuard.allowHosts)` };
      return { effect: "approve", rule, reason: `${what} while the agent is tainted by ${labels} needs a person's approval (taint guard)`, ...(this.timeoutMs === undefined ? {} : { timeoutMs: this.timeoutMs }) };
    }
    return undefined;
  }

  private categoryOf(req: CapabilityRequest): TaintGuardCategory | undefined {
    const r = req.resource;
    if (this.guard.has("secret") && r.startsWith("secret:")) return "secret";
    if (this.guard.has("shell") && r === "shell") return "shell";
    if (this.guard.has("egress") && r === "shell" && req.action === "network") return "egress";
    if (this.guard.has("spawn") && r === "agent" && req.action === "spawn") return "spawn";
    if (this.guard.has("egress") && r.startsWith("net:") && !this.allowed(r.slice(4))) return "egress";
    if (this.guard.has("write") && r.startsWith("file:") && (req.action === "write" || req.action === "delete")) return "write";
    if (this.guard.has("mcp") && r.startsWith("tool:mcp.")) return "mcp";
    return undefined;
  }

  /** `target` is `<host>:<port>` (IPv6 hosts in brackets); a pattern may name the host or host:port. */
  private allowed(target: string): boolean {
    const host = target.replace(/:\d+$/, "");
    return this.hosts.some((re) => re.test(target) || re.test(host));
  }
}
