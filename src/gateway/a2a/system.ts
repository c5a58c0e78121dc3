/**
 * Wiring the A2A server to a booted system: the task store in `<dataDir>/a2a.db`, the `A2aTask`
 * syscall registered in the kernel's table, the engine over the kernel's dispatcher (the door every
 * agent uses), push delivery through the http.fetch tool, the agents whose spec sets `a2a`, and
 * authentication by the API token or an operator-issued capability token (gateway/mcp's
 * authenticator, with A2A's own default operator grants). On start, turns a crash interrupted are
 * handed back to their agents.
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { AiosError } from "../../core/index.js";
import type { Aios } from "../../sdk/index.js";
import { mcpAuthenticator } from "../mcp/index.js";
import { CallerCache } from "./callers.js";
import { a2aSyscall } from "./door.js";
import { A2aEndpoint } from "./endpoint.js";
import { A2aEngine } from "./engine.js";
import { PushDelivery } from "./push.js";
import { A2aService, type A2aAgentInfo } from "./service.js";
import { TaskStore } from "./store.js";

/**
 * What the API token may do over A2A by default: talk to any agent (so open and read its tasks),
 * and deliver push notifications to public hosts. Webhooks on loopback or private addresses need
 * `net-class:loopback#connect` / `net-class:private#connect` added by the operator (SSRF guard).
 */
export const DEFAULT_A2A_OPERATOR_CAPABILITIES: readonly string[] = ["agent:*#send", "tool:http.fetch#call", "net:*#fetch"];

export interface A2aServeOptions {
  readonly apiToken: string;
  readonly version: string;
  readonly operatorCapabilities?: readonly string[];
  /** How long a turn may wait for its agent's reply (default 10 minutes). */
  readonly agentTimeoutMs?: number;
  /** Push delivery: tries per event and webhook, first retry delay. */
  readonly pushAttempts?: number;
  readonly pushRetryMs?: number;
}

export interface A2aServer {
  readonly endpoint: A2aEndpoint;
  readonly service: A2aService;
  readonly engine: A2aEngine;
  readonly push: PushDelivery;
  /** Turns handed back to their agents at start. */
  readonly recovered: number;
  close(): void;
}

const MODES = ["text/plain", "application/json"];

export function a2aAgents(os: Aios): A2aAgentInfo[] {
  const out: A2aAgentInfo[] = [];
  for (const info of os.ps({ status: ["running", "paused"] })) {
    const spec = os.kernel.find(info.id)?.spec;
    const x = spec?.a2a;
    if (spec === undefined || x === undefined || x === false) continue;
    const description = (typeof x === "object" ? x.description : undefined) ?? spec.description ?? spec.goal ?? spec.instructions?.slice(0, 500) ?? `AIOS ${spec.kind} agent ${spec.name}`;
    const skills = typeof x === "object" && x.skills !== undefined ? x.skills : [{ id: spec.name, name: spec.name, description, tags: ["aios", spec.kind] }];
    out.push({ id: info.id, name: info.name, description, version: spec.version, skills });
  }
  return out;
}

export function startA2a(os: Aios, o: A2aServeOptions): A2aServer {
  if (os.dataDir === undefined) throw new AiosError("E_CONFIG", "A2A needs a data directory: its tasks live in <dataDir>/a2a.db", { details: { path: "dataDir" } });
  if (os.kernel.syscalls.get("A2aTask") !== undefined) throw new AiosError("E_CONFIG", "an A2A server is already running on this kernel", { details: { path: "a2a" } });
  const store = new TaskStore(join(os.dataDir, "a2a.db"));
  const invoke = (caller: Parameters<typeof os.kernel.dispatcher.invoke>[0], name: string, args: unknown): Promise<unknown> => os.kernel.dispatcher.invoke(caller, name, args);
  const callers = new CallerCache();
  const callerOf = (owner: string, caps: readonly string[]): ReturnType<CallerCache["of"]> => callers.of(owner, caps);
  const push = new PushDelivery({ invoke, configs: (id) => store.listPush(id), callerOf, clock: os.kernel.clock, events: os.kernel.events, ...(o.pushAttempts === undefined ? {} : { attempts: o.pushAttempts }), ...(o.pushRetryMs === undefined ? {} : { firstDelayMs: o.pushRetryMs }) });
  const agents = (): A2aAgentInfo[] => a2aAgents(os);
  const built = new A2aEngine(store, { invoke, clock: os.kernel.clock, newId: randomUUID, isAgent: (id) => agents().some((a) => a.id === id), agentTimeoutMs: o.agentTimeoutMs ?? 600_000 }, push, callers);
  os.kernel.syscalls.register(a2aSyscall((args, call) => built.handle(args, call.caller)));
  const service = new A2aService(built, store, { invoke, agents, inputModes: MODES });
  const authority = os.subsystems.security?.authority;
  const endpoint = new A2aEndpoint({
    service,
    authenticate: mcpAuthenticator({ apiToken: o.apiToken, operatorCapabilities: o.operatorCapabilities ?? DEFAULT_A2A_OPERATOR_CAPABILITIES, ...(authority === undefined ? {} : { authority }) }),
    agents,
    clock: os.kernel.clock,
    version: o.version,
    inputModes: MODES,
    outputModes: MODES,
  });
  const recovered = built.recover();
  let closed = false;
  return {
    endpoint,
    service,
    engine: built,
    push,
    recovered,
    close() {
      if (closed) return;
      closed = true;
      built.close();
      store.close();
    },
  };
}
