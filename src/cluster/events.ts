/** The event types cluster/ adds to the kernel bus. */
declare module "../core/index.js" {
  interface EventDataMap {
    /**
     * A letter from another node was refused on this one before it reached the recipient's journal
     * (docs/adr/0038): `forged` (its seal did not verify) or one of ipc's dead-letter reasons.
     */
    "cluster.mail.refused": { row: number | null; recipient: string; origin: string | null; reason: string; detail: string };
    /**
     * Booting or joining waits for PostgreSQL or NATS (boot-retry.ts): `step` failed because `down`
     * is unreachable; the next attempt comes after `delayMs`.
     */
    "cluster.join.retry": { cluster: string; node: string; step: string; down: string; attempt: number; delayMs: number; error: string };
    /** A rebalancing round of this node moved trees to less loaded nodes (docs/adr/0050). */
    "cluster.rebalanced": { node: string; moves: readonly { readonly tree: string; readonly to: string }[] };
  }
}

export {};
