/**
 * The approval queue: a policy rule with effect "approve" parks the agent's syscall here until a
 * person approves or denies it (API, CLI, dashboard) or the timeout — on the injected Clock — denies
 * it. Invariants: a request is decided exactly once (later decisions get E_CONFLICT); the waiting
 * promise always settles; arguments are stored redacted, so secrets never reach the people deciding.
 */
import { AiosError, type AgentId, type Clock, type EventBus, type TimerHandle } from "../core/index.js";

export type ApprovalStatus = "pending" | "approved" | "denied" | "expired";

export interface ApprovalRequest {
  readonly id: string;
  readonly agent: string;
  readonly agentName: string;
  readonly tenant: string;
  readonly syscall: string;
  readonly args: unknown;
  readonly rule: string;
  readonly reason: string;
  readonly createdAt: number;
  readonly deadline: number;
  readonly status: ApprovalStatus;
  readonly decidedBy?: string;
  readonly note?: string;
}

declare module "../core/index.js" {
  interface EventDataMap {
    "approval.requested": { id: string; syscall: string; rule: string; reason: string; deadline: number };
    "approval.decided": { id: string; status: "approved" | "denied" | "expired"; by?: string };
  }
}

interface Pending {
  req: ApprovalRequest;
  timer: TimerHandle;
  settle: (ok: boolean) => void;
}

export interface ApprovalQueueOptions {
  readonly clock: Clock;
  readonly events?: EventBus;
  readonly redact?: (v: unknown) => unknown;
  readonly defaultTimeoutMs?: number;
  /** Decided requests kept for listing (default 1000). */
  readonly history?: number;
}

export class ApprovalQueue {
  private readonly pending = new Map<string, Pending>();
  private decided: ApprovalRequest[] = [];
  private seq = 0;
  readonly defaultTimeoutMs: number;

  constructor(private readonly o: ApprovalQueueOptions) {
    this.defaultTimeoutMs = o.defaultTimeoutMs ?? 5 * 60_000;
  }

  /** Parks a request; resolves true on approval, false on denial or timeout. */
  request(r: Omit<ApprovalRequest, "id" | "createdAt" | "deadline" | "status">, timeoutMs = this.defaultTimeoutMs): Promise<boolean> {
    const now = this.o.clock.now();
    const id = `apr_${now.toString(36)}_${(++this.seq).toString(36)}`;
    const req: ApprovalRequest = { ...r, args: this.o.redact === undefined ? r.args : this.o.redact(r.args), id, createdAt: now, deadline: now + timeoutMs, status: "pending" };
    return new Promise<boolean>((resolve) => {
      const timer = this.o.clock.setTimeout(() => this.finish(id, "expired", undefined, "timed out"), timeoutMs);
      this.pending.set(id, { req, timer, settle: resolve });
      this.o.events?.emit("approval.requested", { id, syscall: req.syscall, rule: req.rule, reason: req.reason, deadline: req.deadline }, req.agent as AgentId, "warn");
    });
  }

  list(filter: { status?: ApprovalStatus } = {}): ApprovalRequest[] {
    const all = [...[...this.pending.values()].map((p) => p.req), ...this.decided];
    return filter.status === undefined ? all : all.filter((r) => r.status === filter.status);
  }

  get(id: string): ApprovalRequest | undefined {
    return this.pending.get(id)?.req ?? this.decided.find((r) => r.id === id);
  }

  approve(id: string, by: string, note?: string): ApprovalRequest {
    return this.decide(id, "approved", by, note);
  }

  deny(id: string, by: string, note?: string): ApprovalRequest {
    return this.decide(id, "denied", by, note);
  }

  private decide(id: string, status: "approved" | "denied", by: string, note?: string): ApprovalRequest {
    if (!this.pending.has(id)) {
      const done = this.decided.find((r) => r.id === id);
      if (done !== undefined) throw new AiosError("E_CONFLICT", `approval ${id} was already ${done.status}`, { retryable: false, details: { path: "id" } });
      throw new AiosError("E_NOT_FOUND", `no approval request ${id}`, { details: { path: "id" } });
    }
    return this.finish(id, status, by, note);
  }

  private finish(id: string, status: "approved" | "denied" | "expired", by?: string, note?: string): ApprovalRequest {
    const p = this.pending.get(id);
    if (p === undefined) throw new AiosError("E_INTERNAL", `approval ${id} settled twice`);
    this.pending.delete(id);
    this.o.clock.clearTimeout(p.timer);
    const req: ApprovalRequest = { ...p.req, status, ...(by === undefined ? {} : { decidedBy: by }), ...(note === undefined ? {} : { note }) };
    this.decided = [req, ...this.decided].slice(0, this.o.history ?? 1000);
    this.o.events?.emit("approval.decided", { id, status, ...(by === undefined ? {} : { by }) }, req.agent as AgentId, "info");
    p.settle(status === "approved");
    return req;
  }

  /** Denies everything still waiting (kernel shutdown): no syscall is left hanging. */
  denyAll(by = "shutdown"): void {
    for (const id of [...this.pending.keys()]) this.finish(id, "denied", by, "kernel shutting down");
  }
}
