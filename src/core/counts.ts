/**
 * How many of each key are outstanding: letters being journaled for a recipient, copies being
 * written, letters being moved. A key leaves the map when its count returns to zero, so the map holds
 * only what is in flight.
 */
export class Counts<K> {
  private readonly map = new Map<K, number>();

  /** One more of `k`. */
  add(k: K): void {
    this.map.set(k, (this.map.get(k) ?? 0) + 1);
  }

  /** One of `k` done; `k` leaves at zero. */
  remove(k: K): void {
    const left = (this.map.get(k) ?? 1) - 1;
    if (left > 0) this.map.set(k, left);
    else this.map.delete(k);
  }

  /** How many of `k` are outstanding. */
  get(k: K): number {
    return this.map.get(k) ?? 0;
  }

  /** Whether any of `k` is outstanding. */
  has(k: K): boolean {
    return this.map.has(k);
  }
}
