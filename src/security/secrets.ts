/**
 * Secrets at rest: `<dataDir>/secrets/secrets.json` holds each value encrypted with AES-256-GCM
 * (fresh 12-byte IV per write, the secret's name as associated data so ciphertexts cannot be swapped
 * between names); the 32-byte key is `<dataDir>/secrets/master.key`, mode 0600, dir 0700. Without a
 * data dir secrets live in memory only. Agents never read a value: there is no syscall that returns
 * one. A reference `{{secret:NAME}}` is replaced only inside a tool that declared the field a secret
 * slot, in the copy the tool executes with (tools/secret-slots.ts, after a `secret:NAME#use` check at
 * the slot); the journal, audit log and events keep the reference. Every value is registered with the
 * Redactor, the last net for a value a tool's output echoes back.
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
   * A secret's plaintext, for a tool's secret slot only (tools/secret-slots.ts fills the copy of the
   * arguments the tool executes with, after the `secret:NAME#use` check at the slot). No syscall
   * returns it; nothing else in the kernel calls this.
   */
  reveal(name: string): string | undefined {
    return this.plain.get(name);
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
