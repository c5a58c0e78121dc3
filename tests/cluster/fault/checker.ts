/**
 * The fault suite's checker, in the Jepsen style: it reads a history (what was acknowledged, the
 * agents' final states, every execution the effect sink saw, the journal's epochs, the nodes' lease
 * acquisitions) and lists every violation of the cluster's guarantees:
 *   - lost: an acknowledged send (or the forward it caused) missing from its recipient's state;
 *   - duplicated: one letter handled twice (an entry twice in a state);
 *   - dupEffects: one logical effect applied under two idempotency keys (a call replayed under a
 *     different key: the outside world saw it twice); missingEffects: handled without its effect;
 *     orphanEffects: an effect applied for a letter no state holds (a stale activation acted);
 *   - epochOrder: a tree's journal whose epochs go down along its seqs (two activations interleaved);
 *   - sharedEpochs: one (tree, epoch) acquired by two nodes (two live activations at one epoch);
 *   - slots: with supervised workers (child trees, docs/adr/0048), a supervisor slot that does not end
 *     with exactly one live child (a restart told twice, a child lost with its node), or a supervisor
 *     that is not live.
 */
import type { Execution } from "./effect-sink.js";

export interface SendRecord {
  readonly op: number;
  readonly to: string;
  readonly next: string;
  readonly acked: boolean;
}

export interface History {
  readonly sends: readonly SendRecord[];
  /** Each worker's final state (`op/hop` entries), by agent id. */
  readonly states: ReadonlyMap<string, readonly string[]>;
  readonly executions: readonly Execution[];
  /** Each tree's journal epochs in seq order. */
  readonly journal: ReadonlyMap<string, readonly number[]>;
  readonly acquisitions: readonly { readonly tree: string; readonly epoch: number; readonly node: string }[];
  /** Supervised workloads: live children per `supervisor/slot`, and each supervisor's liveness. */
  readonly slots?: ReadonlyMap<string, number>;
  readonly supervisors?: ReadonlyMap<string, boolean>;
}

export interface Verdict {
  readonly lost: string[];
  readonly duplicated: string[];
  readonly dupEffects: string[];
  readonly missingEffects: string[];
  readonly orphanEffects: string[];
  readonly epochOrder: string[];
  readonly sharedEpochs: string[];
  readonly slots: string[];
  /** Executions that repeated a key (re-run after a takeover, deduplicated by the sink): not a fault. */
  readonly retried: number;
}

export function ok(v: Verdict): boolean {
  return [v.lost, v.duplicated, v.dupEffects, v.missingEffects, v.orphanEffects, v.epochOrder, v.sharedEpochs, v.slots].every((x) => x.length === 0);
}

export function check(h: History): Verdict {
  const lost: string[] = [];
  const duplicated: string[] = [];
  const has = (agent: string, entry: string): boolean => h.states.get(agent)?.includes(entry) === true;
  for (const s of h.sends) {
    const first = `${s.op}/0`;
    const delivered = has(s.to, first);
    if (s.acked && !delivered) lost.push(`${s.to} ${first}`);
    // A handled letter's forward is acknowledged by the handling itself: it must arrive too.
    if ((s.acked || delivered) && !has(s.next, `${s.op}/1`)) lost.push(`${s.next} ${s.op}/1 (forward)`);
  }
  for (const [agent, got] of h.states) {
    const seen = new Set<string>();
    for (const e of got) {
      if (seen.has(e)) duplicated.push(`${agent} ${e}`);
      seen.add(e);
    }
  }
  const keysOf = new Map<string, Set<string>>();
  let retried = 0;
  for (const x of h.executions) {
    if (!x.applied) retried++;
    const keys = keysOf.get(x.effect) ?? new Set<string>();
    keys.add(x.key);
    keysOf.set(x.effect, keys);
  }
  const dupEffects = [...keysOf].filter(([, keys]) => keys.size > 1).map(([e, keys]) => `${e} under ${keys.size} keys`);
  const missingEffects: string[] = [];
  const handled = new Set<string>();
  for (const [agent, got] of h.states) {
    for (const e of got) {
      handled.add(`${agent}/${e}`);
      if (!keysOf.has(`${agent}/${e}`)) missingEffects.push(`${agent}/${e}`);
    }
  }
  const orphanEffects = [...keysOf.keys()].filter((e) => !handled.has(e));
  const epochOrder: string[] = [];
  for (const [tree, epochs] of h.journal) {
    const i = epochs.findIndex((e, j) => j > 0 && e < (epochs[j - 1] ?? 0));
    if (i > 0) epochOrder.push(`${tree}: epoch ${epochs[i]} after ${epochs[i - 1]} at row ${i + 1}`);
  }
  const holder = new Map<string, string>();
  const sharedEpochs: string[] = [];
  for (const a of h.acquisitions) {
    const k = `${a.tree}@${a.epoch}`;
    const prior = holder.get(k);
    if (prior !== undefined && prior !== a.node) sharedEpochs.push(`${k} by ${prior} and ${a.node}`);
    holder.set(k, a.node);
  }
  const slots: string[] = [];
  for (const [slot, live] of h.slots ?? []) if (live !== 1) slots.push(`${slot}: ${live} live children`);
  for (const [sup, live] of h.supervisors ?? []) if (!live) slots.push(`${sup}: the supervisor is not live`);
  return { lost, duplicated, dupEffects, missingEffects, orphanEffects, epochOrder, sharedEpochs, slots, retried };
}
