/**
 * Which record a current head version belongs to, by the version's hash: an open-addressing table
 * of rowids in a typed array, slotted by the hash's first 32 bits and confirmed against the
 * record's own heads (so a prefix collision can never name the wrong record). Storage finds
 * versions through their record; this is how a head asked for by hash alone (search) finds it.
 *
 * Why not a Map<string, number>: with a fresh 64-char key per insert it measured ~0.5-0.7 us per
 * insert and ~40 bytes per entry (hashing the key, growing the table, the GC tracing young keys
 * from an old table); this measured ~0.4 us and holds 8-16 bytes per record, no pointers.
 * Invariants: every current head of a record has a slot holding its rowid on its probe path (before
 * any empty slot); every hit is confirmed against the record's current heads, so a stale slot is
 * only ever skipped. 0 is an empty slot, -1 a deleted one (skipped by lookups, reused by inserts);
 * a rebuild re-slots each record's current heads once and drops the rest.
 */

export class HeadIndex {
  private slots = new Int32Array(1024);
  private used = 0; // slots not empty (live or deleted)
  private live = 0;

  /** `headsOf(rowid)`: that record's current heads (the catalog's row, updated before `add`). */
  constructor(private readonly headsOf: (rowid: number) => readonly string[] | undefined) {}

  add(hash: string, rowid: number): void {
    if ((this.used + 1) * 2 > this.slots.length) this.rebuild();
    this.slot(hash, rowid);
  }

  /** Drops one slot of `rowid` on `hash`'s probe path (for a head its record no longer has). */
  remove(hash: string, rowid: number): void {
    const mask = this.slots.length - 1;
    for (let i = key(hash) & mask; this.slots[i] !== 0; i = (i + 1) & mask) {
      if (this.slots[i] === rowid) {
        this.slots[i] = -1;
        this.live--;
        return;
      }
    }
  }

  get(hash: string): number | undefined {
    const mask = this.slots.length - 1;
    for (let i = key(hash) & mask; this.slots[i] !== 0; i = (i + 1) & mask) {
      const r = this.slots[i] as number;
      if (r > 0 && this.headsOf(r)?.includes(hash) === true) return r;
    }
    return undefined;
  }

  private holds(hash: string, rowid: number): boolean {
    const mask = this.slots.length - 1;
    for (let i = key(hash) & mask; this.slots[i] !== 0; i = (i + 1) & mask) if (this.slots[i] === rowid) return true;
    return false;
  }

  private slot(hash: string, rowid: number): void {
    const mask = this.slots.length - 1;
    let i = key(hash) & mask;
    while ((this.slots[i] as number) > 0) i = (i + 1) & mask;
    if (this.slots[i] === 0) this.used++;
    this.slots[i] = rowid;
    this.live++;
  }

  /** Re-slots every record's current heads, in a table at most a quarter full afterwards. */
  private rebuild(): void {
    const old = this.slots;
    let size = old.length;
    while (size < (this.live + 1) * 4) size *= 2;
    this.slots = new Int32Array(size);
    this.used = 0;
    this.live = 0;
    for (const r of old) {
      if (r <= 0) continue;
      const heads = this.headsOf(r) ?? [];
      // A record with several heads had several slots: re-slot its heads at its first one only.
      if (heads.length > 0 && !this.holds(heads[0] as string, r)) for (const h of heads) this.slot(h, r);
    }
  }
}

/** The first 32 bits of a hex hash (any string works: other characters only spread differently). */
function key(hash: string): number {
  let k = 0;
  for (let i = 0; i < 8 && i < hash.length; i++) k = (k << 4) ^ hash.charCodeAt(i);
  return k >>> 0;
}
