/**
 * The process table's index by id. The ids this kernel mints are a prefix and a counter
 * (core/ids.ts), so those processes sit in an array at their counter's position: entering one is a
 * store, not a hash-table insert (a Map of a million agents cost ~0.7-1.1 us per insert as it grew,
 * against ~0.2 for an array, and the SDK's spawn of a million agents spent a third of its time
 * there). Every other id — a restored agent's from an earlier run, an agent moved in from another
 * node, an id a test's generator made — goes in a Map beside it.
 *
 * The array holds the counters from `base` on. When fewer than a quarter of its slots are live (the
 * agents ended), the live ones move to the Map and the array starts again after the highest counter
 * seen: the array never grows with agents that are gone, and each move is paid for by the removals
 * before it. A number far ahead of the array (a counter the generator has not reached: an id kept
 * from a run with the same node part) goes to the Map too.
 *
 * Invariant: an id is in at most one of the two; iteration gives the Map's entries (in insertion
 * order), then the array's (by counter, that is by creation).
 */
import type { AgentId } from "../core/index.js";
import type { Proc } from "./proc.js";

/** Slots the array may skip ahead to place a number (an agent restarted under a kept id, say). */
const MAX_GAP = 65_536;
/** The array is not compacted below this length (by default). */
const MIN_COMPACT = 1024;

export class ProcIndex implements ReadonlyMap<AgentId, Proc> {
  private local: (Proc | undefined)[] = [];
  /** The counter of local[0]. */
  private base = 0;
  /** Live entries in `local`. */
  private live = 0;
  /** The highest counter placed in `local`. */
  private top = -1;
  private readonly other = new Map<AgentId, Proc>();
  /**
   * The last id get() found and its process, forgotten at any change: a program sending to one agent
   * in a loop finds it by one compare (reading the counter out of the id was a tenth of an os.send).
   */
  private lastId: string | undefined = undefined;
  private lastProc: Proc | undefined = undefined;

  /**
   * @param ids the kernel's id generator: its `agentNumber` reads the counter of an id it minted (-1
   *   for any other); without one every id goes to the Map.
   */
  constructor(
    private readonly ids: { agentNumber?(id: string): number },
    /** The array is not compacted while shorter than this (tests lower it to compact often). */
    private readonly minCompact = MIN_COMPACT,
  ) {}

  private numberOf(id: string): number {
    const ids = this.ids;
    // A caller outside TypeScript may hand anything: only a string has a position.
    return ids.agentNumber === undefined || typeof id !== "string" ? -1 : ids.agentNumber(id);
  }

  get size(): number {
    return this.live + this.other.size;
  }

  get(id: AgentId | string): Proc | undefined {
    if (id === this.lastId) return this.lastProc;
    const i = this.numberOf(id) - this.base;
    let p: Proc | undefined;
    if (i >= 0 && i < this.local.length) p = this.local[i];
    // Compared whole: another node's id of the same shape, or a counter spelt with leading zeros,
    // reads as a position too.
    if (p === undefined || p.id !== id) p = this.other.size === 0 ? undefined : this.other.get(id as AgentId);
    if (p !== undefined) {
      this.lastId = id;
      this.lastProc = p;
    }
    return p;
  }

  has(id: AgentId | string): boolean {
    return this.get(id) !== undefined;
  }

  set(id: AgentId, p: Proc): void {
    this.forgetLast();
    const n = this.numberOf(id);
    const i = n - this.base;
    if (n >= 0 && i >= 0 && i <= this.local.length + MAX_GAP && id === p.id) {
      if (this.other.size > 0) this.other.delete(id);
      const was = this.local[i];
      if (was === undefined) this.live++;
      else if (was.id !== id) this.other.set(was.id, was); // another spelling of the counter
      while (this.local.length < i) this.local.push(undefined);
      this.local[i] = p;
      if (n > this.top) this.top = n;
      return;
    }
    this.other.set(id, p);
  }

  delete(id: AgentId | string): boolean {
    this.forgetLast();
    const i = this.numberOf(id) - this.base;
    if (i >= 0 && i < this.local.length) {
      const p = this.local[i];
      if (p !== undefined && p.id === id) {
        this.local[i] = undefined;
        this.live--;
        this.compact();
        return true;
      }
    }
    return this.other.delete(id as AgentId);
  }

  private forgetLast(): void {
    this.lastId = undefined;
    this.lastProc = undefined;
  }

  /** Sparse (a quarter live or less): the live entries move to the Map, the array starts after `top`. */
  private compact(): void {
    const local = this.local;
    if (local.length < this.minCompact || this.live * 4 > local.length) return;
    for (let i = 0; i < local.length; i++) {
      const p = local[i];
      if (p !== undefined) this.other.set(p.id, p);
    }
    this.local = [];
    this.live = 0;
    this.base = this.top + 1;
  }

  *values(): IterableIterator<Proc> {
    yield* this.other.values();
    const local = this.local;
    for (let i = 0; i < local.length; i++) {
      const p = local[i];
      if (p !== undefined) yield p;
    }
  }

  *keys(): IterableIterator<AgentId> {
    for (const [id] of this.entries()) yield id;
  }

  *entries(): IterableIterator<[AgentId, Proc]> {
    yield* this.other.entries();
    const local = this.local;
    for (let i = 0; i < local.length; i++) {
      const p = local[i];
      if (p !== undefined) yield [p.id, p];
    }
  }

  [Symbol.iterator](): IterableIterator<[AgentId, Proc]> {
    return this.entries();
  }

  forEach(fn: (p: Proc, id: AgentId, map: ReadonlyMap<AgentId, Proc>) => void, thisArg?: unknown): void {
    for (const [id, p] of this.entries()) fn.call(thisArg, p, id, this);
  }
}
