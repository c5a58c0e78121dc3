/**
 * What an agent is, as a contract: its spec (DESIGN "Agent spec") and the logic a code agent runs
 * (DESIGN "Agent logic"). They live in one file because each names the other (a spec carries a
 * logic; a logic's context carries the spec).
 *
 * The agent spec: the one description of an agent (DESIGN "Agent spec"), parsed from YAML or JSON and
 * validated with zod. A malformed spec is rejected with E_INVALID_SPEC naming the file, the field path
 * and what was expected; parsing happens before anything is created, so nothing is half-created.
 */
import { readFile } from "node:fs/promises";
import { isAbsolute, resolve, dirname } from "node:path";
import { z } from "zod";
import { AiosError, parseYaml, type AgentId, type MessageId } from "../core/index.js";
import { AGENT_NAME_MAX, AGENT_NAME_RE, MAX_TREE_DEPTH, checkCommonSpec, treeDeeperThan } from "./spec-check.js";
import { canonicalCapabilities } from "./spec-capabilities.js";
import type { SyscallApi } from "./syscalls.js";


export const RestartType = z.enum(["permanent", "transient", "temporary"]);
export const SupervisorStrategy = z.enum(["one_for_one", "one_for_all", "rest_for_one"]);

const BudgetSchema = z.strictObject({
  tokens: z.number().int().positive().optional(),
  credits: z.number().positive().optional(),
  wallTimeMs: z.number().int().positive().optional(),
});

const MemorySpecSchema = z.strictObject({
  namespace: z.string().min(1).optional(),
  maxBytes: z.number().int().positive().optional(),
  maxRecords: z.number().int().positive().optional(),
});

/** Letters an agent's mailbox holds when its spec names no capacity. */
export const DEFAULT_MAILBOX_CAPACITY = 1024;

const MailboxSchema = z.strictObject({
  capacity: z.number().int().min(1).max(10_000_000).default(DEFAULT_MAILBOX_CAPACITY),
  onFull: z.enum(["wait", "fail"]).default("wait"),
});

const BackoffSchema = z.strictObject({
  initialMs: z.number().int().min(0).default(100),
  maxMs: z.number().int().min(0).default(30_000),
  factor: z.number().min(1).default(2),
});

/** A supervisor's own settings. OTP defaults: intensity 1 restart per 5 s period. */
const SupervisionSchema = z.strictObject({
  strategy: SupervisorStrategy.default("one_for_one"),
  intensity: z.number().int().min(0).default(1),
  periodMs: z.number().int().positive().default(5_000),
  backoff: BackoffSchema.optional(),
});

/**
 * Exposure over A2A (gateway/a2a/): `a2a: true`, or an object overriding what the agent's card
 * says (description, skills). Only agents that answer requests qualify: not supervisors, and not
 * ephemeral agents (gone once their work is done, while an A2A task may outlive a daemon restart).
 */
const A2aSkillSchema = z.strictObject({
  id: z.string().min(1).max(128),
  name: z.string().min(1).max(256),
  description: z.string().min(1).max(4096),
  tags: z.array(z.string().min(1).max(64)).min(1).max(32),
  examples: z.array(z.string().max(4096)).max(32).optional(),
});
export const A2aExposureSchema = z.union([
  z.boolean(),
  z.strictObject({ description: z.string().min(1).max(4096).optional(), skills: z.array(A2aSkillSchema).min(1).max(64).optional() }),
]);
export type A2aExposure = z.output<typeof A2aExposureSchema>;

const LogicSchema = z.custom<AgentLogic>(
  (v) => typeof v === "object" && v !== null && typeof (v as { receive?: unknown }).receive === "function",
  { message: "expected an object with a receive(state, message, ctx) function" },
);

const BaseSpec = z.strictObject({
  name: z.string().max(AGENT_NAME_MAX).regex(AGENT_NAME_RE, "expected 1-128 characters: letters, digits, '.', '_', '-' (a '/' separates a creator's name)"),
  kind: z.enum(["llm", "code", "supervisor"]),
  version: z.string().min(1).max(64).default("1"),
  description: z.string().max(4096).optional(),
  model: z.string().min(1).optional(),
  instructions: z.string().optional(),
  goal: z.string().optional(),
  tools: z.array(z.string().min(1)).default([]),
  capabilities: z.array(z.string().min(1)).default([]),
  memory: MemorySpecSchema.optional(),
  restart: RestartType.default("permanent"),
  // CPU share in the kernel's run queue: `weight` receives per round, x1.25 per priority step (see
  // run-loop.ts); the inference scheduler's pools use them too (priority and WFQ policies).
  priority: z.number().int().min(-20).max(20).default(0),
  weight: z.number().positive().max(10_000).default(1),
  budget: BudgetSchema.optional(),
  tier: z.enum(["macro", "meso", "micro"]).default("meso"),
  tenant: z.string().min(1).max(128).default("default"),
  ephemeral: z.boolean().default(false),
  durable: z.boolean().optional(),
  mailbox: MailboxSchema.optional(),
  /** A code agent's logic: an object given in-process, or the name of a logic registered at boot. */
  logic: z.union([z.string().min(1), LogicSchema]).optional(),
  /** A code agent's logic, as a module path (relative to the spec file) and export name. */
  module: z.string().min(1).optional(),
  export: z.string().min(1).optional(),
  /**
   * How a `module` runs (docs/adr/0023): "trusted" in the kernel's thread (the operator's code, no
   * isolation), "isolated" in a worker thread inside QuickJS (no Node, memory and CPU limits, killable).
   * Default: trusted when the operator spawns it, isolated when an agent does (which may not ask for trusted).
   */
  isolation: z.enum(["trusted", "isolated"]).optional(),
  /** Free-form initial arguments handed to init(). */
  args: z.unknown().optional(),
  /** Reachable as an A2A agent through the daemon (see A2aExposureSchema). */
  a2a: A2aExposureSchema.optional(),
  /** Time a single receive may take before it is reported as a hog. */
  hogThresholdMs: z.number().positive().optional(),
  /** Output schema (JSON Schema) for an LLM agent's structured final answer. */
  output: z.record(z.string(), z.unknown()).optional(),
  maxSteps: z.number().int().positive().optional(),
  /**
   * Where a root agent would like to run on a cluster (docs/adr/0050): a preferred node (not a pin:
   * placement falls back when it is dead or full) and tags a node must all carry (requirements).
   * Ignored on a single node and for children, which run with their tree's root — unless `tree` is
   * set on a supervisor's child (docs/adr/0048): on a cluster that child is the root of a tree of its
   * own, placed by these hints, and its supervisor is told when it ends or its node dies. On a single
   * node `tree` changes nothing (the child runs under its supervisor as any child).
   */
  placement: z
    .strictObject({
      tree: z.boolean().optional(),
      node: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "a node name: [a-z0-9][a-z0-9_-]{0,62}").optional(),
      tags: z.array(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "a tag: [a-z0-9][a-z0-9_-]{0,62}")).max(32).optional(),
    })
    .optional(),
  supervision: SupervisionSchema.optional(),
  get children() {
    return z.array(AgentSpecSchema).optional();
  },
});

export const AgentSpecSchema = BaseSpec.superRefine((s, ctx) => {
  if (s.kind === "code" && s.logic === undefined && s.module === undefined) {
    ctx.addIssue({ code: "custom", path: ["logic"], message: "a code agent needs `logic` (an object) or `module` (a path)" });
  }
  if (s.isolation === "isolated" && (s.module === undefined || s.logic !== undefined)) {
    ctx.addIssue({ code: "custom", path: ["isolation"], message: "isolation: isolated runs a `module` (a logic object or registered name runs in-process)" });
  }
  if (s.kind === "llm" && s.model === undefined) {
    ctx.addIssue({ code: "custom", path: ["model"], message: "an llm agent needs `model` (the name of a configured model)" });
  }
  if (s.kind !== "supervisor" && s.children !== undefined) {
    ctx.addIssue({ code: "custom", path: ["children"], message: "only kind: supervisor has children" });
  }
  if (s.ephemeral && s.durable === true) {
    ctx.addIssue({ code: "custom", path: ["durable"], message: "an ephemeral agent cannot be durable" });
  }
  if (s.a2a !== undefined && s.a2a !== false) {
    if (s.kind === "supervisor") ctx.addIssue({ code: "custom", path: ["a2a"], message: "a supervisor answers no requests, so it cannot be exposed over A2A (expose its children)" });
    if (s.ephemeral) ctx.addIssue({ code: "custom", path: ["a2a"], message: "an ephemeral agent cannot be exposed over A2A (its tasks may outlive it)" });
  }
});

/** A spec as a program writes it; its lists and objects may be read-only (`as const`, a parsed spec). */
export type AgentSpecInput = FrozenSpec<z.input<typeof AgentSpecSchema>>;
/**
 * A parsed spec: frozen through and through (docs/adr/0079), so its type is read-only too, but for
 * what a parse keeps by reference: the author's `logic`, `args` and `output` schema values.
 */
export type AgentSpec = FrozenSpec<z.output<typeof AgentSpecSchema>>;

type Kept = "logic" | "args" | "output";
type FrozenSpec<T> = { readonly [K in keyof T]: K extends Kept ? T[K] : FrozenValue<T[K]> };
type FrozenValue<T> = T extends (...a: never[]) => unknown
  ? T
  : T extends readonly (infer U)[]
    ? readonly FrozenValue<U>[]
    : T extends object
      ? { readonly [K in keyof T]: FrozenValue<T[K]> }
      : T;

/**
 * A spec tree as an agent gave it, with every node that names no tenant placed in `tenant` (its
 * creator's): a child an agent spawns lives in its creator's tenant unless it asks for another,
 * which the spawn rule then checks. (Without this, a missing tenant meant "default", and an agent of
 * any other tenant could not spawn a child without naming its own tenant.) Anything that is not a
 * plain object, and what lies below MAX_TREE_DEPTH levels of a tree (a cycle's remainder included),
 * is left as it is, for parseSpec to reject.
 */
export function inheritTenant<T>(input: T, tenant: string): T {
  return placed(input, tenant, MAX_TREE_DEPTH);
}

/** `inheritTenant` for `levels` more levels; below them the tree is left as it is. */
function placed<T>(input: T, tenant: string, levels: number): T {
  if (typeof input !== "object" || input === null || Array.isArray(input) || levels <= 0) return input;
  const node = input as Record<string, unknown>;
  const children = Array.isArray(node["children"]) ? { children: (node["children"] as unknown[]).map((c) => placed(c, typeof node["tenant"] === "string" ? node["tenant"] : tenant, levels - 1)) } : {};
  return { ...node, ...(node["tenant"] === undefined ? { tenant } : {}), ...children } as T;
}

/** Validates a spec object; `source` names where it came from in the error. */
export function parseSpec(input: unknown, source = "<spec>"): AgentSpec {
  // The common shape is checked by hand (spec-check.ts, equal to the schema's output); zod decides the rest.
  const common = checkCommonSpec(input);
  if (common !== undefined) return canonicalCapabilities(common as AgentSpec, source);
  if (treeDeeperThan(input, MAX_TREE_DEPTH)) {
    const message = `supervisors nest more than ${MAX_TREE_DEPTH} levels deep`;
    throw new AiosError("E_INVALID_SPEC", `${source}: children: ${message}`, { details: { source, issues: [{ path: "children", message }] } });
  }
  const r = AgentSpecSchema.safeParse(input);
  if (r.success) return canonicalCapabilities(r.data, source);
  const issues = r.error.issues.map((i) => ({ path: i.path.map(String).join(".") || "(root)", message: i.message }));
  const first = issues[0];
  const summary = first === undefined ? "invalid" : `${first.path}: ${first.message}`;
  throw new AiosError("E_INVALID_SPEC", `${source}: ${summary}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`, {
    details: { source, issues },
  });
}

/**
 * Reads a spec file (YAML or JSON by content), validates it and resolves what it names relative to
 * the file: `module`, and a `file:` capability whose path starts with `./` or `../`
 * (`file:../fixtures/repo/**#read`), so a spec shipped beside its fixtures grants exactly them
 * wherever the folder is checked out. Only a file gets this: a spec given as an object (SDK, HTTP)
 * has no directory to be relative to, and its relative paths match no absolute path a tool checks.
 */
export async function loadSpecFile(path: string): Promise<AgentSpec> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    throw new AiosError("E_INVALID_SPEC", `${path}: cannot read the spec file`, { cause: e, details: { source: path } });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text); // YAML is a superset of JSON
  } catch (e) {
    throw new AiosError("E_INVALID_SPEC", `${path}: not valid YAML or JSON: ${(e as Error).message}`, { cause: e, details: { source: path } });
  }
  const spec = parseSpec(raw, path);
  return resolveModules(spec, dirname(resolve(path)));
}

function resolveModules(spec: AgentSpec, base: string): AgentSpec {
  const module = spec.module !== undefined && !isAbsolute(spec.module) ? resolve(base, spec.module) : spec.module;
  const children = spec.children?.map((c) => resolveModules(c, base));
  const capabilities = spec.capabilities.map((c) => resolveFileCapability(c, base));
  return { ...spec, capabilities, ...(module === undefined ? {} : { module }), ...(children === undefined ? {} : { children }) };
}

const RELATIVE_FILE = /^file:(\.{1,2}(?:\/[^#{]*)?)(#.*)$/;

/** `file:../x/**#read` -> `file:/abs/x/**#read` (a trailing `/` kept: it means the directory itself). */
function resolveFileCapability(cap: string, base: string): string {
  const m = RELATIVE_FILE.exec(cap);
  if (m === null) return cap;
  const rel = m[1] as string;
  const abs = resolve(base, rel);
  return `file:${abs}${rel.endsWith("/") && abs !== "/" ? "/" : ""}${m[2] as string}`;
}

// ---- the agent-logic contract ----------------------------------------------------------------

export const STOP: unique symbol = Symbol.for("aios.stop");

/** Returned by receive to end the agent: `completed` by default, `failed` with a reason. */
export interface StopSignal {
  readonly [STOP]: true;
  readonly outcome: "completed" | "failed";
  readonly result?: unknown;
  readonly reason?: string;
}

export function stop(result?: unknown): StopSignal {
  return { [STOP]: true, outcome: "completed", ...(result === undefined ? {} : { result }) };
}
export function fail(reason: string): StopSignal {
  return { [STOP]: true, outcome: "failed", reason };
}
export function isStop(v: unknown): v is StopSignal {
  return typeof v === "object" && v !== null && (v as Partial<StopSignal>)[STOP] === true;
}

export interface SendOptions {
  /** When the recipient's mailbox is full: wait for room (default: the recipient's setting) or fail. */
  readonly onFull?: "wait" | "fail";
}

export interface AgentContext {
  readonly self: AgentId;
  readonly spec: AgentSpec;
  /** The sender of the message being handled (undefined for messages from outside the kernel). */
  readonly sender: AgentId | undefined;
  /** The id of the message being handled. */
  readonly messageId: MessageId | undefined;
  /**
   * True when the message being handled is an envelope ipc/ admitted at this agent's door (its
   * signature, schema and de-duplication checked; `sender` is its signer's agent); false for a plain
   * letter (`ctx.send`, `ctx.request`, `os.send`, a SemanticSend without envelope fields), whatever
   * its payload looks like: one can carry an object shaped like an envelope from anyone (docs/adr/0083).
   */
  readonly enveloped: boolean;
  /** Every syscall, by its table name: `await ctx.sys.ToolCall({ tool, args })`. */
  readonly sys: SyscallApi;
  /**
   * Sends a message (SemanticSend by address). Synchronous when the mailbox has room. A refusal or a
   * failure is a rejected promise the kernel owns (audited and emitted; never thrown, never the
   * process's unhandled rejection); an activation that ended (killed, crashed, stopped) sends no
   * more: E_CANCELLED.
   */
  send(to: AgentId, payload: unknown, options?: SendOptions): void | Promise<void>;
  /** Aborted when the agent is killed or paused, so long model and tool calls stop early. */
  readonly signal: AbortSignal;
  /** Sends a request and resolves with the recipient's reply. */
  request(to: AgentId, payload: unknown, options?: { timeoutMs?: number }): Promise<unknown>;
  /** Answers the request being handled; a no-op for plain messages. */
  reply(value: unknown): void;
  /** Spawns a child agent (AgentSpawn). */
  spawn(spec: AgentSpecInput): Promise<AgentId>;
}

export interface AgentLogic<S = unknown, M = unknown> {
  init?(ctx: AgentContext, args: unknown): S | Promise<S>;
  receive(state: S, message: M, ctx: AgentContext): S | StopSignal | Promise<S | StopSignal>;
  /** Serialisable form of the state, for checkpoints (default: the state itself, JSON-cloned). */
  snapshot?(state: S): unknown;
  restore?(data: unknown): S;
  /** Migrates state across an upgrade from `fromVersion`. */
  migrate?(state: S, fromVersion: string): S;
  /** Called once when the agent ends, whatever the reason. */
  terminate?(state: S, reason: string): void;
  /**
   * The logic never changes a syscall's result, nor anything reachable from it (the LLM agent's).
   * A durable agent's results that no one else holds (`SyscallDef.freshResult`) are then journaled
   * as they are and encoded when their batch is written (ADR 0075).
   */
  readonly leavesResultsIntact?: boolean;
}

declare module "./syscalls.js" {
  interface SyscallMap {
    AgentSpawn: { args: { spec: AgentSpecInput }; result: { id: AgentId } };
  }
}
