/**
 * Argument checks for the SDK facade (issue #11.8): every public function of `Aios` answers a wrong
 * argument with an AiosError naming the function and the parameter (`os.request: id: ...`), never a
 * TypeError from deep inside the kernel. Agent references are ids or names: a name that one live
 * agent bears resolves to it (the CLI and the API accept names wherever they accept ids).
 * `keepAlive` holds the process open while a caller awaits the kernel: the kernel's timers are
 * unreferenced (a kernel alone must not keep Node running), so without it a pending request with a
 * timeout let Node exit 0 before E_TIMEOUT could fire.
 */
import { AiosError, type AgentId } from "../core/index.js";
import { isTerminal } from "../abi/index.js";
import type { Kernel } from "../kernel/index.js";

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === "object") return "an object";
  if (typeof v === "function") return "a function";
  if (typeof v === "symbol") return "a symbol";
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return `${typeof v} ${String(v)}`;
  return "undefined";
}

export function invalid(fn: string, param: string, expected: string, got: unknown): AiosError {
  return new AiosError("E_INVALID_ARG", `${fn}: ${param}: expected ${expected}, got ${describe(got)}`, { details: { path: param, function: fn } });
}

export function text(fn: string, param: string, v: unknown): string {
  if (typeof v !== "string" || v.length === 0) throw invalid(fn, param, "a non-empty string", v);
  return v;
}

/** A plain object (or undefined when `optional`). */
export function record<T extends object>(fn: string, param: string, v: unknown, optional: true): T | undefined;
export function record<T extends object>(fn: string, param: string, v: unknown, optional?: false): T;
export function record<T extends object>(fn: string, param: string, v: unknown, optional = false): T | undefined {
  if (v === undefined && optional) return undefined;
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw invalid(fn, param, "an object", v);
  return v as T;
}

/** A positive finite number of milliseconds, or undefined. */
export function millis(fn: string, param: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw invalid(fn, param, "a positive number of milliseconds", v);
  return v;
}

/** An agent id, or the name of exactly one agent (live ones first). */
export function agentRef(kernel: Kernel, fn: string, param: string, v: unknown): AgentId {
  const ref = text(fn, param, v);
  if (kernel.find(ref) !== undefined) return ref as AgentId;
  const named = [...kernel.table.values()].filter((p) => p.spec.name === ref);
  const live = named.filter((p) => !isTerminal(p.status));
  const pick = live.length > 0 ? live : named;
  if (pick.length === 1 && pick[0] !== undefined) return pick[0].id;
  if (pick.length > 1) {
    throw new AiosError("E_INVALID_ARG", `${fn}: ${param}: the name "${ref}" is borne by ${pick.length} agents (${pick.map((p) => p.id).join(", ")}); give an id`, { details: { path: param, function: fn, candidates: pick.map((p) => p.id) } });
  }
  // A cluster node's journal can take mail for an agent on another node: an id goes through as it is.
  // Requests too: their reply comes back through the journal (docs/adr/0040).
  if (named.length === 0 && kernel.guards.journal?.enqueueRemote !== undefined && (fn === "os.send" || fn === "os.request")) return ref as AgentId;
  throw new AiosError("E_NO_AGENT", `no agent ${ref} (${fn}: ${param}: no agent has that id or name)`, { details: { path: param, function: fn, agent: ref } });
}

let pending = 0;
let hold: ReturnType<typeof setInterval> | undefined;
const release = (): void => {
  if (--pending === 0 && hold !== undefined) {
    clearInterval(hold);
    hold = undefined;
  }
};

/** Passes a settled wait's value or error on, releasing its hold (module-level: no closure per wait). */
const released = <T>(v: T): T => {
  release();
  return v;
};
const releasedError = (e: unknown): never => {
  release();
  throw e;
};

/** Keeps Node running until `p` settles (the kernel's own timers do not); one timer for all waits. */
export function keepAlive<T>(p: Promise<T>): Promise<T> {
  if (pending++ === 0) hold = setInterval(() => undefined, 0x7fffffff);
  return p.then(released, releasedError);
}

/** Runs `fn`, turning a synchronous throw (a refused argument) into a rejected promise. */
export function rejecting<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
}
