/**
 * Priority inheritance: while a higher-priority agent waits on a lower-priority one (it sent a
 * request and blocks on the answer), the waited-on agent's requests run at the waiter's priority, so
 * a middle-priority flood cannot starve the high-priority agent through its helper (the classic
 * priority inversion). A donation lasts until its undo function is called; an agent's boost is the
 * maximum of the donations it holds.
 */
export class Inheritance {
  private readonly donations = new Map<string, Map<string, number>>();

  /** The highest donated priority `agent` holds, or -Infinity. */
  boostOf(agent: string): number {
    const d = this.donations.get(agent);
    if (d === undefined) return -Infinity;
    let max = -Infinity;
    for (const p of d.values()) if (p > max) max = p;
    return max;
  }

  /** Records that `by` (at `priority`) waits on `to`; returns the undo. Donations by the same key replace. */
  donate(to: string, by: string, priority: number): () => void {
    let d = this.donations.get(to);
    if (d === undefined) this.donations.set(to, (d = new Map<string, number>()));
    d.set(by, priority);
    const held = d;
    return () => {
      if (held.get(by) !== priority) return;
      held.delete(by);
      if (held.size === 0 && this.donations.get(to) === held) this.donations.delete(to);
    };
  }
}
