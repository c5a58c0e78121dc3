/**
 * One failure handler per journal commit batch. The journal hands every record of a batch the same
 * promise (Journal.commit), so whoever must react to a failed write — durable delivery ending the
 * agents a lost letter concerned, the run loop holding an agent whose checkpoint was refused — keeps
 * a list per batch and attaches one handler to its promise, instead of a `.catch` (a closure, a
 * derived promise and, on success, a reaction run only to pass it through) per record: a durable
 * relay's batch holds thousands.
 */
export class BatchWatch<T> {
  /** The last batch promise seen and its list. */
  private watched: Promise<void> | undefined;
  private items: T[] = [];

  /** @param failed told each failed batch's list, in the order it was pushed. */
  constructor(private readonly failed: (items: readonly T[], e: unknown) => void) {}

  /** The list of `stored`'s batch, to push what its failure concerns onto. */
  of(stored: Promise<void>): T[] {
    if (stored !== this.watched) {
      const items: T[] = [];
      this.watched = stored;
      this.items = items;
      stored.catch((e: unknown) => this.failed(items, e));
    }
    return this.items;
  }
}
