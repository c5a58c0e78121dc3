/**
 * De-duplication for at-least-once delivery: per recipient, a bounded window of recently accepted
 * message ids, each within its sender's (dedupKey). A sender that retries (same envelope id) after a
 * lost acknowledgement, or a replayed dead letter that had in fact arrived, is dropped at the door
 * instead of handled twice. Bounded: the window keeps the last `window` ids per agent (FIFO), so
 * memory per agent is O(window).
 *
 * This is the in-memory half. For a durable agent the window also survives a restart: each accepted
 * id is journaled in the same record as the message (kernel deliver `key` -> store enqueue `key`),
 * the store keeps the ids of unacknowledged mail plus the last SEEN_WINDOW (4096) handled ones, and
 * ipcSubsystem re-imports them at boot (subsystem.ts). Ephemeral and non-durable agents stay in memory.
 */
/**
 * The key a message is de-duplicated under at its recipient: its id within its sender's ids. A
 * retry comes from the sender that sent the first copy; an id alone let any agent with a send right
 * to the recipient take an id another sender would use (an idempotency key such as "order-42", or a
 * durable agent's replayable `<letter>.<n>`) and have that sender's message dropped as a duplicate
 * — acknowledged to it as delivered. Length-prefixed, so no sender and id can spell another's.
 */
export function dedupKey(from: string | undefined, id: string): string {
  const f = from ?? "";
  return `${f.length}:${f}${id}`;
}

export class SeenWindow {
  private readonly byAgent = new Map<string, { set: Set<string>; ring: string[]; head: number }>();
  duplicates = 0;

  constructor(readonly window = 4096) {}

  /** True the first time `id` is seen for `agent` within the window; false for a duplicate. */
  admit(agent: string, id: string): boolean {
    let w = this.byAgent.get(agent);
    if (w === undefined) this.byAgent.set(agent, (w = { set: new Set(), ring: [], head: 0 }));
    if (w.set.has(id)) {
      this.duplicates++;
      return false;
    }
    if (w.ring.length < this.window) w.ring.push(id);
    else {
      w.set.delete(w.ring[w.head] as string);
      w.ring[w.head] = id;
      w.head = (w.head + 1) % this.window;
    }
    w.set.add(id);
    return true;
  }

  /** Agents with a window. */
  get agents(): number {
    return this.byAgent.size;
  }

  /** Forgets an id (its delivery failed, so a retry must not be taken for a duplicate). */
  forget(agent: string, id: string): void {
    this.byAgent.get(agent)?.set.delete(id);
  }

  /** The window, oldest first (for an agent checkpoint) and its restore. */
  export(agent: string): string[] {
    const w = this.byAgent.get(agent);
    if (w === undefined) return [];
    return [...w.ring.slice(w.head), ...w.ring.slice(0, w.head)].filter((id) => w.set.has(id));
  }
  /** Re-seeds an agent's window (oldest first; the last `window` ids are kept); counts no duplicates. */
  import(agent: string, ids: readonly string[]): void {
    const before = this.duplicates;
    for (const id of ids.slice(-this.window)) this.admit(agent, id);
    this.duplicates = before;
  }

  drop(agent: string): void {
    this.byAgent.delete(agent);
  }
}
