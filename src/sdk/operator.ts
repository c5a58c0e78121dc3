/**
 * What the SDK does as the operator (the person or program holding the Aios object) beyond process
 * control: run a tool through the door, explain a capability decision. Both go through the same door
 * and checks an agent's call does; the operator's own caller holds every capability (`**#*`), like
 * the planner's operator, and policy still applies to it.
 */
import { AiosError, type AgentId, type TenantId } from "../core/index.js";
import type { DoorCaller } from "../abi/index.js";
import type { Kernel } from "../kernel/index.js";
import type { Explanation, Security } from "../security/index.js";
import { parseCapability, toGrammar } from "../capability/index.js";
import { agentRef, keepAlive, millis, record, text } from "./facade-args.js";

export const OPERATOR = "operator";

/** A fresh operator caller per call: its call sequence is its own. */
function operatorCaller(): DoorCaller {
  return { agent: OPERATOR as AgentId, tenant: "default" as TenantId, name: OPERATOR, capabilities: ["**#*"], taint: new Set<string>(), priority: 0, callSeq: 0, durable: false };
}

export interface CallToolOptions {
  /** Call as this agent (id or name), with its capabilities; default: the operator. */
  readonly as?: string;
}

/** Runs tool `name` with `args` through the door (ToolCall): validated, checked, audited. */
export function callTool(kernel: Kernel, name: unknown, args: unknown, options: unknown): Promise<unknown> {
  const tool = text("os.callTool", "name", name);
  const input = record<Record<string, unknown>>("os.callTool", "args", args ?? {});
  return invokeAs(kernel, "os.callTool", "ToolCall", { tool, args: input }, options);
}

/**
 * Invokes syscall `name` through the door as the operator (or, with `{ as }`, as that agent): the
 * operator's memory writes, snapshots, grants and secrets from the HTTP API and the CLI are
 * effects like any agent's — parsed, capability- and policy-checked, audited.
 */
export function operatorCall(kernel: Kernel, name: unknown, args: unknown, options: unknown): Promise<unknown> {
  return invokeAs(kernel, "os.call", text("os.call", "name", name), record<Record<string, unknown>>("os.call", "args", args ?? {}), options);
}

function invokeAs(kernel: Kernel, fn: string, name: string, args: Record<string, unknown>, options: unknown): Promise<unknown> {
  const o = record<CallToolOptions>(fn, "options", options ?? {});
  const caller = o.as === undefined ? operatorCaller() : kernel.get(agentRef(kernel, fn, "options.as", o.as));
  return keepAlive(kernel.dispatcher.invoke(caller, name, args));
}

/** Parses "resource#action" (the action is what follows the last #). */
export function splitCapability(fn: string, param: string, v: unknown): { resource: string; action: string } {
  const s = text(fn, param, v);
  const i = s.lastIndexOf("#");
  if (i <= 0 || i === s.length - 1) throw new AiosError("E_INVALID_ARG", `${fn}: ${param}: expected resource#action (e.g. "file:/data/a#read"), got "${s}"`, { details: { path: param, function: fn } });
  return { resource: s.slice(0, i), action: s.slice(i + 1) };
}

/** Would agent `agent` be allowed `capability` ("resource#action")? Names the deciding token or rule. */
export function explain(kernel: Kernel, security: Security, agent: unknown, capability: unknown, syscall: unknown): Explanation {
  const id = agentRef(kernel, "os.explain", "agent", agent);
  const req = splitCapability("os.explain", "capability", capability);
  return security.explain(kernel.get(id), req, syscall === undefined ? "ToolCall" : text("os.explain", "syscall", syscall));
}

/** A capability token the operator granted: what `os.grant` answers and `os.revoke` takes. */
export interface GrantedToken {
  readonly id: string;
  readonly holder: string;
  readonly capabilities: readonly string[];
  readonly exp: number;
}

/** Ed25519 root tokens may live at most 30 days (longer ones must be hybrid-signed): default a week. */
const DEFAULT_GRANT_TTL_MS = 7 * 24 * 3_600_000;

/** Grants `capability` (grammar or seed form) to an agent as a signed token; revocable with os.revoke. */
export function grant(kernel: Kernel, security: Security, agent: unknown, capability: unknown, options: unknown): GrantedToken {
  const holder = kernel.get(agentRef(kernel, "os.grant", "agent", agent));
  const cap = toGrammar(text("os.grant", "capability", capability));
  try {
    parseCapability(cap, "capability");
  } catch (e) {
    throw new AiosError("E_INVALID_ARG", `os.grant: capability: "${String(capability)}" is not a capability (resource#action{key=value})`, { cause: e, details: { path: "capability" } });
  }
  const o = record<{ ttlMs?: unknown }>("os.grant", "options", options ?? {});
  const ttl = millis("os.grant", "options.ttlMs", o.ttlMs) ?? DEFAULT_GRANT_TTL_MS;
  const token = security.authority.mint({ holder: holder.id, caps: [cap], exp: security.clock.now() + ttl });
  const v = security.checker.adopt(holder, token);
  kernel.invalidateCapabilities();
  return { id: v.id, holder: holder.id, capabilities: (v.blocks[v.blocks.length - 1] ?? []).map((c) => c.source), exp: v.exp };
}

/** Revokes a token (and what was delegated from it); answers how many tokens it ended. */
export function revoke(kernel: Kernel, security: Security, token: unknown): number {
  const n = security.checker.revoke(OPERATOR, text("os.revoke", "token", token));
  kernel.invalidateCapabilities();
  return n;
}

/** Secrets as the operator sees them: set, list names, delete — a value is never read back. */
export interface SecretsFacade {
  set(name: string, value: string): void;
  names(): string[];
  delete(name: string): boolean;
}

export function secretsFacade(security: Security): SecretsFacade {
  const s = security.secrets;
  return {
    set: (name, value) => s.set(text("os.secrets.set", "name", name), text("os.secrets.set", "value", value)),
    names: () => s.names(),
    delete: (name) => s.delete(text("os.secrets.delete", "name", name)),
  };
}
