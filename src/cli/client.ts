/**
 * The control API over HTTP: the CLI's client for a running daemon. Same interface as the in-process
 * ControlPlane, so every command is written once. Errors come back as the daemon's AiosError (code
 * and message intact); a daemon that does not answer is E_UNAVAILABLE (the CLI's exit code 3).
 */
import { z } from "zod";
import { AiosError, fromSerialized, type AgentId, type AnyKernelEvent, type SerializedError } from "../core/index.js";
import type { AgentInfo, Escalation, StoreHealth, TreeNode } from "../kernel/index.js";
import type { ApprovalRequest, ApprovalStatus, Explanation } from "../security/index.js";
import type {
  AuditVerifyReport, ControlApi, DepositInput, EventsFilter, LedgerBalances, LedgerTransfersInput, MetricsText, PlanInput, PlanView, PsInput, SpawnInput, TokenSummary,
} from "../gateway/index.js";
import type { BalanceJson, MarketTaskJson, PlanStatusView, Profile, TransferJson } from "../planner/index.js";

const ErrorEnvelope = z.object({ error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean(), details: z.record(z.string(), z.unknown()).optional() }) });

type Query = Record<string, string | number | undefined>;

function queryString(q: Query): string {
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
  ) {}

  private async fetch(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    try {
      return await fetch(this.url + path, {
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

  private async call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    const res = await this.fetch(method, path, body);
    const text = await res.text();
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      throw new AiosError("E_UNAVAILABLE", `the daemon at ${this.url} answered ${res.status} with something that is not JSON`);
    }
    // 202 E_DEFERRED: accepted (journaled) but answered without its reply; still an error to a caller awaiting one.
    if (!res.ok || res.status === 202) {
      const env = ErrorEnvelope.safeParse(json);
      if (env.success) throw fromSerialized(env.data.error as SerializedError);
      if (res.ok) return json as T;
      throw new AiosError("E_INTERNAL", `the daemon answered HTTP ${res.status}`);
    }
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
  tree(): Promise<TreeNode[]> {
    return this.call("GET", "/v1/tree");
  }
  events(filter: EventsFilter = {}): Promise<AnyKernelEvent[]> {
    return this.call("GET", `/v1/events${queryString(eventsQuery(filter))}`);
  }

  /** Reads the SSE stream line by line until the signal aborts or the daemon ends the stream. */
  async follow(filter: EventsFilter, onEvent: (e: AnyKernelEvent) => void, signal: AbortSignal): Promise<void> {
    let res: Response;
    try {
      res = await this.fetch("GET", `/v1/events${queryString({ ...eventsQuery(filter), follow: 1 })}`, undefined, signal);
    } catch (e) {
      if (signal.aborted) return;
      throw e;
    }
    if (!res.ok || res.body === null) {
      const env = ErrorEnvelope.safeParse(await res.json().catch(() => undefined));
      throw env.success ? fromSerialized(env.data.error as SerializedError) : new AiosError("E_INTERNAL", `the daemon answered HTTP ${res.status}`);
    }
    const decoder = new TextDecoder();
    let buf = "";
    try {
      for await (const chunk of res.body) {
        buf += decoder.decode(chunk as Uint8Array, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl).replace(/\r$/, "");
          buf = buf.slice(nl + 1);
          if (line.startsWith("data:")) onEvent(JSON.parse(line.slice(5).trim()) as AnyKernelEvent);
        }
      }
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
      const env = ErrorEnvelope.safeParse(json);
      if (env.success) throw fromSerialized(env.data.error as SerializedError);
      throw new AiosError("E_INTERNAL", `the daemon answered HTTP ${res.status}`);
    }
    return { contentType: res.headers.get("content-type") ?? "text/plain", text };
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
