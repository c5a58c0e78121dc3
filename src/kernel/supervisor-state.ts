/**
 * A supervisor's bookkeeping and the OTP restart rules, as pure functions over it:
 * which children a failure restarts (one_for_one, one_for_all, rest_for_one), whether a child's
 * exit calls for a restart at all (permanent, transient, temporary), and whether the restart
 * intensity (at most `intensity` restarts within `periodMs`) is exceeded.
 */
import type { AgentId } from "../core/index.js";
import type { AgentSpec } from "../abi/index.js";

export type Strategy = "one_for_one" | "one_for_all" | "rest_for_one";
export type RestartType = "permanent" | "transient" | "temporary";
export type ExitKind = "normal" | "abnormal" | "shutdown";

export interface SupervisorState {
  readonly strategy: Strategy;
  readonly intensity: number;
  readonly periodMs: number;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number; readonly factor: number } | undefined;
  /** Child ids in start order (restarted children keep their id and place). */
  readonly order: AgentId[];
  readonly specs: Map<AgentId, AgentSpec>;
  /** Children that are trees of their own on a cluster (docs/adr/0048), with their child spec's slot. */
  readonly remote: Map<AgentId, number>;
  /** Times of recent restarts, oldest first. */
  restarts: number[];
  /** Restarts in a row without a quiet period, for backoff. */
  streak: number;
  /** Set while the supervisor is tearing its children down on purpose. */
  stopping: boolean;
}

export function newSupervisorState(spec: AgentSpec): SupervisorState {
  const s = spec.supervision;
  return {
    strategy: s?.strategy ?? "one_for_one",
    intensity: s?.intensity ?? 1,
    periodMs: s?.periodMs ?? 5_000,
    backoff: s?.backoff,
    order: [],
    specs: new Map(),
    remote: new Map(),
    restarts: [],
    streak: 0,
    stopping: false,
  };
}

/** OTP: permanent always restarts, transient only after an abnormal exit, temporary never. */
export function shouldRestart(restart: RestartType, exit: ExitKind): boolean {
  if (exit === "shutdown") return false;
  if (restart === "permanent") return true;
  if (restart === "transient") return exit === "abnormal";
  return false;
}

/** The children to restart (in start order) after `failed` exits. */
export function restartSet(state: SupervisorState, failed: AgentId): AgentId[] {
  const i = state.order.indexOf(failed);
  if (i < 0) return [];
  switch (state.strategy) {
    case "one_for_one":
      return [failed];
    case "one_for_all":
      return [...state.order];
    case "rest_for_one":
      return state.order.slice(i);
  }
}

/**
 * Records a restart at `now`; returns false when it would exceed the intensity
 * (more than `intensity` restarts within `periodMs`), in which case the supervisor gives up.
 */
export function admitRestart(state: SupervisorState, now: number): boolean {
  const horizon = now - state.periodMs;
  state.restarts = state.restarts.filter((t) => t > horizon);
  if (state.restarts.length === 0) state.streak = 0;
  if (state.restarts.length + 1 > state.intensity) return false;
  state.restarts.push(now);
  state.streak++;
  return true;
}

/** Delay before the next restart under exponential backoff (0 without backoff). */
export function backoffDelay(state: SupervisorState): number {
  const b = state.backoff;
  if (b === undefined || state.streak <= 1) return 0;
  return Math.min(b.maxMs, b.initialMs * b.factor ** (state.streak - 2));
}
