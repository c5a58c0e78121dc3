/**
 * The policy language: YAML (or JSON) documents parsed with zod into compiled rules.
 *
 *   combine: first-match        # or deny-overrides
 *   default: allow              # effect when no rule matches (capabilities remain the gate)
 *   rules:
 *     - id: no-shell-when-tainted
 *       effect: deny             # allow | deny | approve
 *       reason: tainted context may not run shell commands
 *       when:
 *         tool: "shell.*"        # name patterns: `*` matches any characters
 *         tainted: true
 *     - id: big-spend
 *       effect: approve
 *       timeout: 10m
 *       when: { syscall: LlmInvoke, agent: "research-*", args: { model: "gpt-*" } }
 *
 * Matchers (all given ones must hold): agent (id or attested name: an agent's child is named
 * `creator/child`, and in this pattern `*` matches within one '/'-segment, `**` across), tenant, syscall, tool (ToolCall's
 * `args.tool`), resource (capability glob against any requested resource), action, args (dotted path
 *  -> pattern, or {regex}; for ToolCall also looked up inside the tool's args), tainted (boolean) and taint (label patterns; any label matching any).
 */
import { z } from "zod";
import { AiosError, parseYaml } from "../core/index.js";
import { parseDuration } from "../capability/index.js";
import { globToRegExp } from "../capability/index.js";

const Patterns = z.union([z.string(), z.array(z.string()).min(1)]);
const ArgPattern = z.union([z.string(), z.number(), z.boolean(), z.object({ regex: z.string() })]);

const RuleSchema = z.object({
  id: z.string().min(1),
  effect: z.enum(["allow", "deny", "approve"]),
  reason: z.string().optional(),
  timeout: z.union([z.string(), z.number()]).optional(),
  when: z
    .object({
      agent: Patterns.optional(),
      tenant: Patterns.optional(),
      syscall: Patterns.optional(),
      tool: Patterns.optional(),
      resource: Patterns.optional(),
      action: Patterns.optional(),
      args: z.record(z.string(), ArgPattern).optional(),
      tainted: z.boolean().optional(),
      taint: Patterns.optional(),
    })
    .strict()
    .default({}),
}).strict();

export const PolicyDocSchema = z.object({
  combine: z.enum(["first-match", "deny-overrides"]).default("first-match"),
  default: z.enum(["allow", "deny"]).default("allow"),
  rules: z.array(RuleSchema).default([]),
}).strict();

export type PolicyDoc = z.infer<typeof PolicyDocSchema>;

/** What a rule is matched against. */
export interface PolicySubject {
  readonly agent: string;
  readonly name: string;
  readonly tenant: string;
  readonly syscall: string;
  readonly args: unknown;
  readonly resources: readonly { resource: string; action: string }[];
  readonly taint: ReadonlySet<string>;
}

export interface CompiledRule {
  readonly id: string;
  readonly effect: "allow" | "deny" | "approve";
  readonly reason: string;
  readonly timeoutMs?: number;
  readonly matches: (s: PolicySubject) => boolean;
  /** Whether this rule can match a call of `syscall` at all (its syscall and tool matchers). */
  readonly canMatch: (syscall: string) => boolean;
  /** The rule reads the call's arguments (an `args` or `tool` matcher). */
  readonly readsArgs: boolean;
}

function wildcard(p: string): RegExp {
  return new RegExp(`^${p.replace(/[.+^${}()|[\]\\?]/g, "\\$&").replace(/\*/g, ".*")}$`, "s");
}

function anyOf(p: string | string[] | undefined, compile: (s: string) => RegExp): ((v: string) => boolean) | undefined {
  if (p === undefined) return undefined;
  const res = (Array.isArray(p) ? p : [p]).map(compile);
  return (v) => res.some((r) => r.test(v));
}

/** Dotted paths split once: they come from code and from policy rules (cleared if reloads pile up). */
const SPLIT = new Map<string, readonly string[]>();

export function getPath(v: unknown, path: string): unknown {
  let parts = SPLIT.get(path);
  if (parts === undefined) {
    if (SPLIT.size >= 1024) SPLIT.clear();
    SPLIT.set(path, (parts = path.split(".")));
  }
  let cur = v;
  for (const k of parts) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function compileRule(r: z.infer<typeof RuleSchema>, i: number): CompiledRule {
  const w = r.when;
  const tests: ((s: PolicySubject) => boolean)[] = [];
  // Agent names are attested (kernel/names.ts): `creator/child`. `*` stays within one segment, so
  // `trusted-*` matches only what the operator named so, and `trusted-a/**` the tree trusted-a created.
  const agent = anyOf(w.agent, globToRegExp);
  if (agent) tests.push((s) => agent(s.agent) || agent(s.name));
  const tenant = anyOf(w.tenant, wildcard);
  if (tenant) tests.push((s) => tenant(s.tenant));
  const syscall = anyOf(w.syscall, wildcard);
  if (syscall) tests.push((s) => syscall(s.syscall));
  const tool = anyOf(w.tool, wildcard);
  if (tool) tests.push((s) => s.syscall === "ToolCall" && typeof getPath(s.args, "tool") === "string" && tool(getPath(s.args, "tool") as string));
  const resource = anyOf(w.resource, globToRegExp);
  if (resource) tests.push((s) => s.resources.some((r) => resource(r.resource)));
  const action = anyOf(w.action, wildcard);
  if (action) tests.push((s) => s.resources.some((r) => action(r.action)));
  for (const [path, pat] of Object.entries(w.args ?? {})) {
    const re = typeof pat === "object" ? compileRegex(pat.regex, `rules[${i}].when.args.${path}`) : typeof pat === "string" ? wildcard(pat) : undefined;
    tests.push((s) => {
      // For ToolCall a path also resolves inside the tool's own arguments (`command` = `args.command`).
      const direct = getPath(s.args, path);
      const v = direct === undefined && s.syscall === "ToolCall" ? getPath(getPath(s.args, "args"), path) : direct;
      if (re === undefined) return v === pat;
      return v !== undefined && re.test(typeof v === "string" ? v : JSON.stringify(v));
    });
  }
  if (w.tainted !== undefined) tests.push((s) => s.taint.size > 0 === w.tainted);
  const taint = anyOf(w.taint, wildcard);
  if (taint) tests.push((s) => [...s.taint].some(taint));
  let timeoutMs: number | undefined;
  if (r.timeout !== undefined) {
    timeoutMs = typeof r.timeout === "number" ? r.timeout : parseDuration(r.timeout);
    if (timeoutMs === undefined) throw new AiosError("E_CONFIG", `rules[${i}].timeout: "${r.timeout}" is not a duration like 5m`, { details: { path: `rules[${i}].timeout` } });
  }
  return {
    id: r.id,
    effect: r.effect,
    reason: r.reason ?? `policy rule ${r.id}`,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    matches: (s) => tests.every((t) => t(s)),
    canMatch: (name) => (syscall === undefined || syscall(name)) && (tool === undefined || name === "ToolCall"),
    readsArgs: tool !== undefined || Object.keys(w.args ?? {}).length > 0,
  };
}

function compileRegex(src: string, path: string): RegExp {
  try {
    return new RegExp(src, "s");
  } catch (e) {
    throw new AiosError("E_CONFIG", `${path}: invalid regex: ${(e as Error).message}`, { details: { path } });
  }
}

/** Parses a YAML/JSON policy document (text or object) into compiled rules; E_CONFIG names the field. */
export function compilePolicy(input: unknown): { combine: PolicyDoc["combine"]; default: PolicyDoc["default"]; rules: CompiledRule[]; doc: PolicyDoc } {
  let raw: unknown = input;
  if (typeof input === "string") {
    try {
      raw = parseYaml(input) ?? {};
    } catch (e) {
      throw new AiosError("E_CONFIG", `policy: not valid YAML: ${(e as Error).message}`, { cause: e });
    }
  }
  const r = PolicyDocSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = (issue?.path ?? []).map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "");
    throw new AiosError("E_CONFIG", `policy ${path || "document"}: ${issue?.message ?? "invalid"}`, { details: { path } });
  }
  const ids = new Set<string>();
  for (const [i, rule] of r.data.rules.entries()) {
    if (ids.has(rule.id)) throw new AiosError("E_CONFIG", `policy rules[${i}].id: duplicate id "${rule.id}"`, { details: { path: `rules[${i}].id` } });
    ids.add(rule.id);
  }
  return { combine: r.data.combine, default: r.data.default, rules: r.data.rules.map(compileRule), doc: r.data };
}
