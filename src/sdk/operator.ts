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
import { agentRef, keepAlive, record, text } from "./facade-args.js";

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
  const o = record<CallToolOptions>("os.callTool", "options", options ?? {});
  const caller = o.as === undefined ? operatorCaller() : kernel.get(agentRef(kernel, "os.callTool", "options.as", o.as));
  return keepAlive(kernel.dispatcher.invoke(caller, "ToolCall", { tool, args: input }));
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
