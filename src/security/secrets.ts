/**
 * Secrets at rest: `<dataDir>/secrets/secrets.json` holds each value encrypted with AES-256-GCM
 * (fresh 12-byte IV per write, the secret's name as associated data so ciphertexts cannot be swapped
 * between names); the 32-byte key is `<dataDir>/secrets/master.key`, mode 0600, dir 0700. Without a
 * data dir secrets live in memory only. Agents never read a value: there is no syscall that returns
 * one; the kernel substitutes `{{secret:NAME}}` in tool arguments at execution time (after the caller
 * passed a `secret:NAME#use` capability check) and every value is registered with the Redactor.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { join } from "node:path";
import { z } from "zod";
import { AiosError } from "../core/index.js";
import { Redactor } from "./redact.js";

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
export const SECRET_REF = /\{\{secret:([A-Za-z_][A-Za-z0-9_.-]{0,127})\}\}/g;

const FileSchema = z.object({ v: z.literal(1), secrets: z.record(z.string(), z.object({ iv: z.string(), ct: z.string(), tag: z.string() })) });
type Sealed = { iv: string; ct: string; tag: string };

const REF_START = "{{secret:";

/** True when some string in `x` (to the depth substitute() walks) contains the start of a reference. */
function mentionsSecret(x: unknown, d: number): boolean {
  if (typeof x === "string") return x.includes(REF_START);
  // The same shape as substitute's walk: arrays at any depth, objects below depth 64.
  if (Array.isArray(x)) {
    for (const y of x) if (mentionsSecret(y, d + 1)) return true;
    return false;
  }
  if (x === null || typeof x !== "object" || d >= 64) return false;
  for (const k in x) if (Object.hasOwn(x, k) && mentionsSecret((x as Record<string, unknown>)[k], d + 1)) return true;
  return false;
}

export class SecretStore {
  readonly redactor: Redactor;
  private readonly plain = new Map<string, string>();
  private readonly sealed = new Map<string, Sealed>();
  private readonly key: Buffer;
  private readonly file: string | undefined;

  constructor(o: { dataDir?: string; redactor?: Redactor } = {}) {
    this.redactor = o.redactor ?? new Redactor();
    if (o.dataDir === undefined) {
      this.key = randomBytes(32);
      return;
    }
    const dir = join(o.dataDir, "secrets");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const keyFile = join(dir, "master.key");
    if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32), { mode: 0o600, flag: "wx" });
    chmodSync(keyFile, 0o600);
    this.key = readFileSync(keyFile);
    if (this.key.length !== 32) throw new AiosError("E_CORRUPT", `${keyFile} is not a 32-byte key`);
    this.file = join(dir, "secrets.json");
    if (existsSync(this.file)) {
      const parsed = FileSchema.safeParse(JSON.parse(readFileSync(this.file, "utf8")));
      if (!parsed.success) throw new AiosError("E_CORRUPT", `${this.file} is malformed`);
      for (const [name, s] of Object.entries(parsed.data.secrets)) {
        this.sealed.set(name, s);
        const value = this.open(name, s);
        this.plain.set(name, value);
        this.redactor.add(name, value);
      }
    }
  }

  set(name: string, value: string): void {
    if (!NAME_RE.test(name)) throw new AiosError("E_INVALID_ARG", `name: "${name}" is not a valid secret name`, { details: { path: "name" } });
    if (typeof value !== "string" || value.length === 0) throw new AiosError("E_INVALID_ARG", "value: must be a non-empty string", { details: { path: "value" } });
    this.redactor.add(name, value); // first: a value too short to redact is refused before it is stored
    const old = this.plain.get(name);
    if (old !== undefined && old !== value) this.redactor.remove(old);
    this.plain.set(name, value);
    this.sealed.set(name, this.seal(name, value));
    this.persist();
  }

  delete(name: string): boolean {
    const old = this.plain.get(name);
    if (old === undefined) return false;
    this.plain.delete(name);
    this.sealed.delete(name);
    this.redactor.remove(old);
    this.persist();
    return true;
  }

  /** Names only: values are never listed. */
  names(): string[] {
    return [...this.plain.keys()].sort();
  }

  /** Secret names referenced anywhere in a value (for the `secret:NAME#use` capability check). */
  static references(v: unknown): string[] {
    const out = new Set<string>();
    const walk = (x: unknown, d: number): void => {
      if (typeof x === "string") for (const m of x.matchAll(SECRET_REF)) out.add(m[1] as string);
      else if (x !== null && typeof x === "object" && d < 64) for (const y of Object.values(x)) walk(y, d + 1);
    };
    walk(v, 0);
    return [...out];
  }

  /**
   * Replaces `{{secret:NAME}}` in every string of `args` (deep copy) for execution. `mayUse` is asked
   * per name; an unknown or refused name fails the call with E_CAP_DENIED / E_NOT_FOUND naming it.
   */
  substitute<T>(args: T, mayUse: (name: string) => boolean): T {
    // Most calls name no secret (an LlmInvoke carries the whole conversation): a scan that allocates
    // nothing hands those args on as they are instead of deep-copying every string of them.
    if (!mentionsSecret(args, 0)) return args;
    const walk = (x: unknown, d: number): unknown => {
      if (typeof x === "string") {
        return x.replace(SECRET_REF, (_m, name: string) => {
          const v = this.plain.get(name);
          if (v === undefined) throw new AiosError("E_NOT_FOUND", `secret ${name} does not exist`, { details: { path: "args", secret: name } });
          if (!mayUse(name)) throw new AiosError("E_CAP_DENIED", `no capability allows using secret ${name} (need secret:${name}#use)`, { details: { secret: name } });
          return v;
        });
      }
      if (Array.isArray(x)) return x.map((y) => walk(y, d + 1));
      if (x !== null && typeof x === "object" && d < 64) return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y, d + 1)]));
      return x;
    };
    return walk(args, 0) as T;
  }

  private seal(name: string, value: string): Sealed {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", this.key, iv);
    c.setAAD(Buffer.from(name));
    const ct = Buffer.concat([c.update(value, "utf8"), c.final()]);
    return { iv: iv.toString("base64"), ct: ct.toString("base64"), tag: c.getAuthTag().toString("base64") };
  }

  private open(name: string, s: Sealed): string {
    try {
      const d = createDecipheriv("aes-256-gcm", this.key, Buffer.from(s.iv, "base64"));
      d.setAAD(Buffer.from(name));
      d.setAuthTag(Buffer.from(s.tag, "base64"));
      return Buffer.concat([d.update(Buffer.from(s.ct, "base64")), d.final()]).toString("utf8");
    } catch (e) {
      throw new AiosError("E_CORRUPT", `secret ${name} failed authentication (wrong key or tampered file)`, { cause: e });
    }
  }

  private persist(): void {
    if (this.file === undefined) return;
    const tmp = this.file + ".tmp";
    writeFileSync(tmp, JSON.stringify({ v: 1, secrets: Object.fromEntries(this.sealed) }), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
