/**
 * A slot pool's record of one request (pool.ts): the request's fields checked and defaulted once,
 * when it arrives. A class, not a literal: its id (`<pool>#<seq>`) is made only when read (by an
 * event, an error or a preemption request), not for each of the eleven slots an LLM run takes.
 */
import { AiosError } from "../core/index.js";
import type { SchedRequest, Waiter } from "./waiter.js";

function noop(): void {}

function badArg(field: string, expected: string): AiosError {
  return new AiosError("E_INVALID_ARG", `scheduler request: ${field} must be ${expected}`, { details: { path: field } });
}

/** Throws E_INVALID_ARG naming the first field of `req` a pool cannot order by. */
export function checkRequest(req: SchedRequest, defaultTokens: number): void {
  if (typeof req.agent !== "string" || req.agent.length === 0) throw badArg("agent", "a non-empty agent id");
  const base = req.priority ?? 0;
  const weight = req.weight ?? 1;
  const tokens = req.tokens ?? defaultTokens;
  if (!Number.isFinite(base)) throw badArg("priority", "a finite number");
  if (!(weight > 0 && Number.isFinite(weight))) throw badArg("weight", "a positive number");
  if (!(tokens >= 0 && Number.isFinite(tokens))) throw badArg("tokens", "a non-negative number");
  if (req.deadline !== undefined && !Number.isFinite(req.deadline)) throw badArg("deadline", "a finite time in ms");
}

export class PoolWaiter implements Waiter {
  state: Waiter["state"] = "waiting";
  gen = 0;
  onGrant: () => void = noop;
  onDrop: (e: Error) => void = noop;
  grantedAt = 0;
  holder: unknown = undefined;
  readonly agent: string;
  readonly tenant: string;
  readonly basePriority: number;
  priority: number;
  readonly onBehalfOf: number;
  readonly weight: number;
  tokens: number;
  readonly deadline: number | undefined;
  readonly preemptible: boolean;

  /** `req` passed checkRequest; `boost` is the priority its agent inherits from waiters it blocks. */
  constructor(
    private readonly pool: string,
    readonly seq: number,
    req: SchedRequest,
    defaultTokens: number,
    boost: number,
    readonly enqueuedAt: number,
  ) {
    this.agent = req.agent;
    this.tenant = req.tenant ?? "default";
    this.basePriority = req.priority ?? 0;
    this.onBehalfOf = req.onBehalfOf ?? -Infinity;
    this.priority = Math.max(this.basePriority, this.onBehalfOf, boost);
    this.weight = req.weight ?? 1;
    this.tokens = req.tokens ?? defaultTokens;
    this.deadline = req.deadline;
    this.preemptible = req.preemptible === true;
  }

  get id(): string {
    return `${this.pool}#${this.seq}`;
  }
}
