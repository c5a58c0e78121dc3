/**
 * Where identities live: a KeyStore holds every key of every owner (agents by id, "kernel" for the
 * root). FileKeyStore keeps one JSON file per owner under `<dataDir>/keys/` (dir 0700, files 0600,
 * written to a temp file and renamed so a crash never leaves half a key). Rotation makes a new active
 * key and marks the old one retired: retired keys still verify what they signed, but sign nothing new.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { AiosError, type Clock } from "../core/index.js";
import { generateKey, type KeyAlg, type KeyRecord } from "./keys.js";

export interface KeyStore {
  get(id: string): KeyRecord | undefined;
  /** All keys of an owner, oldest first. */
  list(owner: string): readonly KeyRecord[];
  /** Adds or replaces a key (by id) and persists it before returning. */
  put(rec: KeyRecord): void;
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
  put(rec: KeyRecord): void {
    this.index(rec);
  }
  protected index(rec: KeyRecord): void {
    this.byId.set(rec.id, rec);
    const list = (this.byOwner.get(rec.owner) ?? []).filter((k) => k.id !== rec.id);
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

  override put(rec: KeyRecord): void {
    this.index(rec);
    const path = join(this.dir, fileName(rec.owner));
    const tmp = path + ".tmp";
    writeFileSync(tmp, JSON.stringify({ v: 1, keys: this.list(rec.owner) }), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path);
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

  /** The owner's active key, created with `alg` on first use. */
  ensure(owner: string, alg: KeyAlg = "ed25519"): KeyRecord {
    const cur = this.current(owner);
    if (cur !== undefined) return cur;
    const rec = generateKey(owner, alg, this.clock.now());
    this.store.put(rec);
    return rec;
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
