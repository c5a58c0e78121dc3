/**
 * Where identities live: a KeyStore holds every key of every owner (agents by id, "kernel" for the
 * root). FileKeyStore keeps one JSON file per owner under `<dataDir>/keys/` (dir 0700, files 0600,
 * written to a temp file and renamed so a crash never leaves half a key). Rotation makes a new active
 * key and marks the old one retired: retired keys still verify what they signed, but sign nothing new.
 * A key may be put `volatile`: held in memory only, written the first time anything asks for it
 * without that flag (a persisted grant, a signed message, a public-key token) and dropped with
 * `release(owner)` while it is still volatile. Spec-grant tokens are HMAC tokens that never leave the
 * process, so an agent whose key only binds those needs no key file: writing one (temp file, chmod,
 * rename) per spawned agent was a fifth of a default-stack LLM run, and the files and the in-memory
 * index grew by one key per agent ever spawned.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { AiosError, type Clock } from "../core/index.js";
import { generateKey, lazyEd25519Key, type KeyAlg, type KeyRecord } from "./keys.js";

export interface KeyStore {
  get(id: string): KeyRecord | undefined;
  /** All keys of an owner, oldest first. */
  list(owner: string): readonly KeyRecord[];
  /** Adds or replaces a key (by id) and persists it before returning, unless `volatile`. */
  put(rec: KeyRecord, options?: { readonly volatile?: boolean }): void;
  /** True when the key is held in memory only (put volatile and not persisted since). */
  isVolatile?(id: string): boolean;
  /** Writes the owner's volatile keys (a no-op when it has none). */
  persist?(owner: string): void;
  /** Forgets the owner's keys when every one of them is volatile; persisted keys are kept. */
  release?(owner: string): void;
}

export class MemoryKeyStore implements KeyStore {
  protected readonly byId = new Map<string, KeyRecord>();
  protected readonly byOwner = new Map<string, KeyRecord[]>();

  get(id: string): KeyRecord | undefined {
    return this.byId.get(id);
  }
  list(owner: string): readonly KeyRecord[] {
    return this.byOwner.get(owner) ?? [];
  }
  put(rec: KeyRecord, _options?: { readonly volatile?: boolean }): void {
    this.index(rec);
  }
  release(owner: string): void {
    const list = this.byOwner.get(owner);
    if (list === undefined || !list.every((k) => this.isVolatile(k.id))) return;
    for (const k of list) this.byId.delete(k.id);
    this.byOwner.delete(owner);
  }
  /** A memory store keeps nothing on disk; only FileKeyStore tells volatile keys apart. */
  isVolatile(_id: string): boolean {
    return false;
  }
  protected index(rec: KeyRecord): void {
    this.byId.set(rec.id, rec);
    const had = this.byOwner.get(rec.owner);
    // An owner's first key (every spawned agent's): its list is that key.
    if (had === undefined) {
      this.byOwner.set(rec.owner, [rec]);
      return;
    }
    const list = had.filter((k) => k.id !== rec.id);
    list.push(rec);
    list.sort((a, b) => a.createdAt - b.createdAt);
    this.byOwner.set(rec.owner, list);
  }
}

const KeyRecordSchema = z.object({
  id: z.string(),
  owner: z.string(),
  alg: z.enum(["ed25519", "hybrid", "hmac"]),
  createdAt: z.number(),
  status: z.enum(["active", "retired"]),
  retiredAt: z.number().optional(),
  edPublic: z.string().optional(),
  secret: z.string(),
  pqPublic: z.string().optional(),
  pqSecret: z.string().optional(),
});
const KeyFileSchema = z.object({ v: z.literal(1), keys: z.array(KeyRecordSchema) });

export class FileKeyStore extends MemoryKeyStore {
  readonly dir: string;

  constructor(dataDir: string) {
    super();
    this.dir = join(dataDir, "keys");
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    chmodSync(this.dir, 0o700);
    for (const f of readdirSync(this.dir)) {
      if (!f.endsWith(".json")) continue;
      const path = join(this.dir, f);
      let parsed: z.infer<typeof KeyFileSchema>;
      try {
        parsed = KeyFileSchema.parse(JSON.parse(readFileSync(path, "utf8")));
      } catch (e) {
        throw new AiosError("E_CORRUPT", `key file ${path} is unreadable`, { cause: e });
      }
      for (const k of parsed.keys) this.index(stripUndefined(k));
    }
  }

  /** Ids of keys held in memory only. */
  private readonly volatile = new Set<string>();

  override put(rec: KeyRecord, options: { readonly volatile?: boolean } = {}): void {
    this.index(rec);
    if (options.volatile === true && this.list(rec.owner).every((k) => k.id === rec.id || this.volatile.has(k.id))) {
      this.volatile.add(rec.id);
      return;
    }
    this.write(rec.owner);
  }

  override isVolatile(id: string): boolean {
    return this.volatile.has(id);
  }

  persist(owner: string): void {
    if (this.list(owner).some((k) => this.volatile.has(k.id))) this.write(owner);
  }

  /** Writes every key of the owner (temp file, 0600, rename): all of them are persisted after. */
  private write(owner: string): void {
    const keys = this.list(owner);
    const path = join(this.dir, fileName(owner));
    const tmp = path + ".tmp";
    writeFileSync(tmp, JSON.stringify({ v: 1, keys }), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
    for (const k of keys) this.volatile.delete(k.id);
  }

  fileOf(owner: string): string | undefined {
    const p = join(this.dir, fileName(owner));
    return existsSync(p) ? p : undefined;
  }
}

function fileName(owner: string): string {
  return Buffer.from(owner).toString("base64url") + ".json";
}

function stripUndefined(k: z.infer<typeof KeyRecordSchema>): KeyRecord {
  return Object.fromEntries(Object.entries(k).filter(([, v]) => v !== undefined)) as unknown as KeyRecord;
}

/** Identity operations over a KeyStore. */
export class Identities {
  constructor(
    readonly store: KeyStore,
    private readonly clock: Clock,
  ) {}

  /**
   * The owner's active key, created with `alg` on first use. `volatile`: a new key is held in memory
   * only (see KeyStore); without it, a volatile key asked for is persisted first.
   */
  ensure(owner: string, alg: KeyAlg = "ed25519", options: { readonly volatile?: boolean } = {}): KeyRecord {
    const cur = this.current(owner);
    if (cur !== undefined) {
      if (options.volatile !== true && this.store.isVolatile?.(cur.id) === true) this.store.persist?.(owner);
      return cur;
    }
    // A volatile Ed25519 key may never be used for more than a name: its material waits until read.
    const rec = options.volatile === true && alg === "ed25519" ? lazyEd25519Key(owner, this.clock.now()) : generateKey(owner, alg, this.clock.now());
    this.store.put(rec, options.volatile === true ? { volatile: true } : {});
    return rec;
  }

  /** Persists the key `id` (and its owner's other keys) when it is held in memory only. */
  persist(id: string): void {
    const rec = this.store.get(id);
    if (rec !== undefined && this.store.isVolatile?.(id) === true) this.store.persist?.(rec.owner);
  }

  /** Forgets an owner whose keys are all volatile (an ended agent that never needed a key on disk). */
  release(owner: string): void {
    this.store.release?.(owner);
  }

  current(owner: string): KeyRecord | undefined {
    const list = this.store.list(owner);
    for (let i = list.length - 1; i >= 0; i--) if (list[i]?.status === "active") return list[i];
    return undefined;
  }

  /** New active key of the same algorithm; the previous one is kept, retired. */
  rotate(owner: string): { active: KeyRecord; retired?: KeyRecord } {
    const old = this.current(owner);
    const alg = old?.alg ?? "ed25519";
    const now = this.clock.now();
    const active = generateKey(owner, alg, Math.max(now, (old?.createdAt ?? 0) + 1));
    this.store.put(active);
    if (old === undefined) return { active };
    const retired: KeyRecord = { ...old, status: "retired", retiredAt: now };
    this.store.put(retired);
    return { active, retired };
  }
}
