/**
 * Bounded label values. A Prometheus series exists per label combination, so a label fed from data
 * (a model name, a tenant, a tool, a pool) could grow without limit. Each bounded label admits its
 * first `max` distinct values as they are; any further value is reported as "other". Agent ids are
 * never used as labels at all (per-agent views belong to traces and the dashboard).
 */
export const OVERFLOW = "other";

export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(readonly max: number) {}

  /** The value to report for `v`: itself while fewer than `max` values were seen, else "other". */
  of(v: string): string {
    if (this.seen.has(v)) return v;
    if (this.seen.size >= this.max) return OVERFLOW;
    this.seen.add(v);
    return v;
  }

  get size(): number {
    return this.seen.size;
  }
}
