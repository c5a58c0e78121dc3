/**
 * A circuit breaker per backend, on the injected Clock. closed -> (failureThreshold consecutive
 * backend failures) -> open for cooldownMs -> half_open: one trial call at a time; its success
 * closes the breaker, its failure reopens it. Only failures that say the backend is unwell count
 * (server errors, timeouts, unreachable, auth); malformed output and rate limits do not.
 */
import type { AiosError, Clock } from "../core/index.js";

export type BreakerState = "closed" | "open" | "half_open";

export interface BreakerOptions {
  readonly failureThreshold?: number;
  readonly cooldownMs?: number;
}

export function countsAsBackendFailure(e: AiosError): boolean {
  return e.code === "E_MODEL" || e.code === "E_TIMEOUT" || e.code === "E_AUTH";
}

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  private st: BreakerState = "closed";
  private readonly threshold: number;
  private readonly cooldownMs: number;

  constructor(
    private readonly clock: Clock,
    options: BreakerOptions = {},
    private readonly onChange: (s: BreakerState) => void = () => {},
  ) {
    this.threshold = options.failureThreshold ?? 5;
    this.cooldownMs = options.cooldownMs ?? 30_000;
  }

  get state(): BreakerState {
    if (this.st === "open" && this.clock.now() - this.openedAt >= this.cooldownMs) this.set("half_open");
    return this.st;
  }

  /** True when a call may go to the backend now; in half_open, only one trial at a time. */
  tryAcquire(): boolean {
    const s = this.state;
    if (s === "closed") return true;
    if (s === "open" || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  /** Milliseconds until an open breaker lets a trial through. */
  retryInMs(): number {
    return this.st === "open" ? Math.max(0, this.openedAt + this.cooldownMs - this.clock.now()) : 0;
  }

  success(): void {
    this.failures = 0;
    this.trialInFlight = false;
    if (this.st !== "closed") this.set("closed");
  }

  failure(): void {
    this.trialInFlight = false;
    this.failures++;
    if (this.st === "half_open" || this.failures >= this.threshold) {
      this.openedAt = this.clock.now();
      this.set("open");
    }
  }

  /** The call ended without saying anything about the backend (cancelled, bad output). */
  neutral(): void {
    this.trialInFlight = false;
  }

  private set(s: BreakerState): void {
    if (s === this.st) return;
    this.st = s;
    this.onChange(s);
  }
}
