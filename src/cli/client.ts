/**
 * The control API over HTTP: the CLI's client for a running daemon. Same interface as the in-process
 * ControlPlane, so every command is written once. Errors come back as the daemon's AiosError (code
 * and message intact); a daemon that does not answer is E_UNAVAILABLE (the CLI's exit code 3); a
 * token the daemon refuses is E_AUTH saying which file it came from (a missing token file is caught
 * before any request, in context.ts, with a message of its own). No zod here: this is on every quick
 * command's path (docs/adr/0025), so the error envelope is checked by hand.
 */
import { AiosError, fromSerialized, type AgentId, type AnyKernelEvent, type ErrorCode, type SerializedError } from "../core/index.js";
import type { AgentInfo, Escalation, StoreHealth, TreeNode } from "../kernel/index.js";
import type { ApprovalRequest, ApprovalStatus, Explanation } from "../security/index.js";
import type {
  AuditVerifyReport, ControlApi, DepositInput, EventsFilter, LedgerBalances, LedgerTransfersInput, MetricsText, PlanInput, PlanView, PsInput, SpawnInput, TokenSummary,
} from "../gateway/index.js";
import type { BalanceJson, MarketTaskJson, PlanStatusView, Profile, TransferJson } from "../planner/index.js";
import { httpRequest, type HttpReply } from "./http-request.js";

/** `{error: {code, message, retryable, details?}}`, the daemon's error body, or undefined. */
export function errorEnvelope(json: unknown): SerializedError | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const e = (json as { error?: unknown }).error;
  if (typeof e !== "object" || e === null) return undefined;
  const { code, message, retryable, details } = e as Record<string, unknown>;
  if (typeof code !== "string" || typeof message !== "string" || typeof retryable !== "boolean") return undefined;
  const d = typeof details === "object" && details !== null && !Array.isArray(details) ? (details as Record<string, unknown>) : undefined;
  return { code: code as ErrorCode, message, retryable, ...(d === undefined ? {} : { details: d }) };
}

/**
 * Server-sent events from a body as it arrives: each `data:` line with the `event:` name before it
 * ("message" when none), one event per data line, the name reset after each.
 */
async function* sseEvents(body: AsyncIterable<Buffer>): AsyncGenerator<{ event: string; data: string }> {
  const decoder = new TextDecoder();
  let buf = "";
  let event = "message";
  for await (const chunk of body) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, "");
      buf = buf.slice(nl + 1);
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) {
        yield { event, data: line.slice(5).trim() };
        event = "message";
      }
    }
  }
}

type Query = Record<string, string | number | undefined>;

export function queryString(q: Query): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined) p.set(k, String(v));
  const s = p.toString();
  return s === "" ? "" : `?${s}`;
}

function eventsQuery(f: EventsFilter): Query {
  return { agent: f.agent, types: f.types?.join(","), minSeverity: f.minSeverity, limit: f.limit };
}

export class HttpControl implements ControlApi {
  constructor(
    readonly url: string,
    private readonly token: string,
    /** Where the token came from, for the message when the daemon refuses it. */
    private readonly tokenSource = "the API token",
  ) {}

  /** The daemon's error as an AiosError; a refused token says where it came from. */
  private failure(res: HttpReply, json: unknown): AiosError {
    const env = errorEnvelope(json);
    if (res.status === 401) {
      return new AiosError("E_AUTH", `the daemon at ${this.url} refused the token in ${this.tokenSource}: it is not the token this daemon was started with (was the file replaced after \`aios up\`? restart the daemon or use its data dir)`, { details: { path: this.tokenSource } });
    }
    if (env !== undefined) return fromSerialized(env);
    return new AiosError("E_INTERNAL", `the daemon answered HTTP ${res.status}`);
  }

  private async fetch(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<HttpReply> {
    try {
      return await httpRequest(this.url + path, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (e) {
      if (signal?.aborted === true) throw e;
      throw new AiosError("E_UNAVAILABLE", `cannot reach the daemon at ${this.url} (is \`aios up\` running?)`, { cause: e });
    }
  }

  /** One JSON request: the parsed answer, or the daemon's error thrown as an AiosError. */
  callJson<T>(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<T> {
    return this.call<T>(method, path, body);
  }

  /**
   * A POST answered with server-sent events: each `event:`/`data:` pair is handed over parsed.
   * An error status before the stream is the daemon's AiosError; a 404 says the route is missing.
   */
  async streamEvents(path: string, body: unknown, onEvent: (event: string, data: unknown) => void, signal?: AbortSignal): Promise<void> {
    const res = await this.fetch("POST", path, body, signal);
    if (!res.ok) throw this.failure(res, await res.text().then((t) => JSON.parse(t) as unknown).catch(() => undefined));
    for await (const e of sseEvents(res.body)) onEvent(e.event, JSON.parse(e.data) as unknown);
  }

  private async call<T>(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<T> {
    const res = await this.fetch(method, path, body);
    const text = await res.text();
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      throw new AiosError("E_UNAVAILABLE", `the daemon at ${this.url} answered ${res.status} with something that is not JSON`);
    }
    // 202 E_DEFERRED: accepted (journaled) but answered without its reply; still an error to a caller awaiting one.
    if (res.status === 202 && errorEnvelope(json) !== undefined) throw this.failure(res, json);
    if (!res.ok) throw this.failure(res, json);
    return json as T;
  }

  spawn(input: SpawnInput): Promise<{ id: AgentId; name: string }> {
    return this.call("POST", "/v1/agents", input);
  }
  ps(filter: PsInput = {}): Promise<AgentInfo[]> {
    return this.call("GET", `/v1/agents${queryString({ ...filter, status: filter.status?.join(",") })}`);
  }
  status(id: string): Promise<AgentInfo> {
    return this.call("GET", `/v1/agents/${encodeURIComponent(id)}`);
  }
  async send(id: string, payload: unknown): Promise<void> {
    await this.call("POST", `/v1/agents/${encodeURIComponent(id)}/send`, { payload });
  }
  async request(id: string, payload: unknown, timeoutMs?: number): Promise<unknown> {
    const r = await this.call<{ reply: unknown }>("POST", `/v1/agents/${encodeURIComponent(id)}/request`, { payload, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
    return r.reply;
  }
  async pause(id: string): Promise<void> {
    await this.call("POST", `/v1/agents/${encodeURIComponent(id)}/pause`);
  }
  async resume(id: string): Promise<void> {
    await this.call("POST", `/v1/agents/${encodeURIComponent(id)}/resume`);
  }
  kill(id: string, reason?: string): Promise<{ killed: boolean }> {
    return this.call("POST", `/v1/agents/${encodeURIComponent(id)}/kill`, reason === undefined ? {} : { reason });
  }
  restart(id: string, reason?: string): Promise<{ id: AgentId }> {
    return this.call("POST", `/v1/agents/${encodeURIComponent(id)}/restart`, reason === undefined ? {} : { reason });
  }
  migrate(id: string, node: string): Promise<{ tree: string; epoch: number }> {
    return this.call("POST", `/v1/agents/${encodeURIComponent(id)}/migrate`, { node });
  }
  tree(): Promise<TreeNode[]> {
    return this.call("GET", "/v1/tree");
  }
  events(filter: EventsFilter = {}): Promise<AnyKernelEvent[]> {
    return this.call("GET", `/v1/events${queryString(eventsQuery(filter))}`);
  }

  /** Reads the SSE stream line by line until the signal aborts or the daemon ends the stream. */
  async follow(filter: EventsFilter, onEvent: (e: AnyKernelEvent) => void, signal: AbortSignal): Promise<void> {
    let res: HttpReply;
    try {
      res = await this.fetch("GET", `/v1/events${queryString({ ...eventsQuery(filter), follow: 1 })}`, undefined, signal);
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    if (!res.ok) throw this.failure(res, await res.text().then((t) => JSON.parse(t) as unknown).catch(() => undefined));
    try {
      for await (const e of sseEvents(res.body)) onEvent(JSON.parse(e.data) as AnyKernelEvent);
    } catch (e) {
      if (!signal.aborted) throw new AiosError("E_UNAVAILABLE", `the event stream from ${this.url} broke`, { cause: e });
    }
  }

  approvals(status?: ApprovalStatus): Promise<ApprovalRequest[]> {
    return this.call("GET", `/v1/approvals${queryString({ status })}`);
  }
  decideApproval(id: string, decision: "approve" | "deny", by?: string, note?: string): Promise<ApprovalRequest> {
    return this.call("POST", `/v1/approvals/${encodeURIComponent(id)}/${decision}`, { ...(by === undefined ? {} : { by }), ...(note === undefined ? {} : { note }) });
  }
  escalations(): Promise<Escalation[]> {
    return this.call("GET", "/v1/escalations");
  }
  decideEscalation(id: string, decision: "restart" | "abandon"): Promise<{ restarted?: AgentId }> {
    return this.call("POST", `/v1/escalations/${encodeURIComponent(id)}/decide`, { decision });
  }
  caps(agent: string): Promise<TokenSummary[]> {
    return this.call("GET", `/v1/caps/${encodeURIComponent(agent)}`);
  }
  grant(agent: string, capability: string, ttlMs?: number): Promise<TokenSummary> {
    return this.call("POST", "/v1/caps/grant", { agent, capability, ...(ttlMs === undefined ? {} : { ttlMs }) });
  }
  revoke(token: string): Promise<{ revoked: number }> {
    return this.call("POST", "/v1/caps/revoke", { token });
  }
  explain(agent: string, action: string, syscall?: string): Promise<Explanation> {
    return this.call("POST", "/v1/caps/explain", { agent, action, ...(syscall === undefined ? {} : { syscall }) });
  }
  auditVerify(): Promise<AuditVerifyReport> {
    return this.call("POST", "/v1/audit/verify");
  }
  async metrics(): Promise<MetricsText> {
    const res = await this.fetch("GET", "/metrics");
    const text = await res.text();
    if (!res.ok) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      throw this.failure(res, json);
    }
    return { contentType: res.header("content-type") ?? "text/plain", text };
  }
  store(): Promise<StoreHealth> {
    return this.call("GET", "/v1/store");
  }
  plan(input: PlanInput): Promise<PlanView> {
    return this.call("POST", "/v1/plans", input);
  }
  planStatus(id: string): Promise<PlanStatusView> {
    return this.call("GET", `/v1/plans/${encodeURIComponent(id)}`);
  }
  marketBook(status?: string): Promise<MarketTaskJson[]> {
    return this.call("GET", `/v1/market/book${queryString({ status })}`);
  }
  ledgerBalances(ledger?: string): Promise<LedgerBalances> {
    return this.call("GET", `/v1/ledger/balances${queryString({ ledger })}`);
  }
  ledgerTransfers(q: LedgerTransfersInput = {}): Promise<TransferJson[]> {
    return this.call("GET", `/v1/ledger/transfers${queryString({ ...q })}`);
  }
  ledgerDeposit(input: DepositInput): Promise<BalanceJson> {
    return this.call("POST", "/v1/ledger/deposit", input);
  }
  reputation(agent?: string): Promise<Profile[]> {
    return this.call("GET", `/v1/reputation${queryString({ agent })}`);
  }
}
