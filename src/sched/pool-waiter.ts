/**
 * A slot pool's record of one request (pool.ts), and the error a request the pool cannot order by
 * gets. A class, not a literal: its id (`<pool>#<seq>`) is made only when read (by an event, an error
 * or a preemption request), not for each of the eleven slots an LLM run takes.
 */
import { AiosError } from "../core/index.js";
import type { Waiter } from "./waiter.js";

function noop(): void {}

/** E_INVALID_ARG naming the request field a pool cannot order by. */
export function badArg(field: string, expected: string): AiosError {
  return new AiosError("E_INVALID_ARG", `scheduler request: ${field} must be ${expected}`, { details: { path: field } });
}

export class PoolWaiter implements Waiter {
  state: Waiter["state"] = "waiting";
  gen = 0;
  onGrant: () => void = noop;
  onDrop: (e: Error) => void = noop;
  grantedAt = 0;
  holder: unknown = undefined;
  ownerCancels = false;
  constructor(
    private readonly pool: string,
    readonly seq: number,
    readonly agent: string,
    readonly tenant: string,
    readonly basePriority: number,
    public priority: number,
    readonly onBehalfOf: number,
    readonly weight: number,
    public tokens: number,
    readonly deadline: number | undefined,
    readonly enqueuedAt: number,
    readonly preemptible: boolean,
  ) {}
  get id(): string {
    return `${this.pool}#${this.seq}`;
  }
}
