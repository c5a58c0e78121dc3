/**
 * A token bucket on an injected clock: `capacity` tokens, refilled continuously at `perMinute / 60 s`.
 * The level may go negative (debt) when usage is recorded after the fact, so a request that used more
 * than was available delays the next ones instead of being undone.
 */
import type { Clock } from "../core/index.js";

export class TokenBucket {
  private level: number;
  private last: number;
  private readonly ratePerMs: number;

  constructor(
    readonly perMinute: number,
    private readonly clock: Clock,
    readonly capacity: number = perMinute,
  ) {
    this.ratePerMs = perMinute / 60_000;
    this.level = capacity;
    this.last = clock.now();
  }

  available(): number {
    const now = this.clock.now();
    if (now > this.last) {
      this.level = Math.min(this.capacity, this.level + (now - this.last) * this.ratePerMs);
      this.last = now;
    }
    return this.level;
  }

  /** Milliseconds until `n` tokens are available (0 when they are now). */
  retryAfterMs(n: number): number {
    const need = Math.min(n, this.capacity) - this.available();
    return need <= 0 ? 0 : Math.ceil(need / this.ratePerMs);
  }

  /** Removes `n` tokens, going into debt if needed (callers check `retryAfterMs` first). */
  take(n: number): void {
    this.available();
    this.level -= n;
  }
}
