/**
 * The redactor removes secret values from anything on its way out: syscall results, events, journal
 * records, audit entries, log lines and error messages. It replaces each occurrence of a registered
 * value — and its base64 (at any byte offset), base64url, URL-encoded, hex and reversed forms, and any
 * run of REDACT_WINDOW of its characters — with `[REDACTED:NAME]`. It is the last net: secrets reach
 * tools only through their secret slots and never the agent (tools/secret-slots.ts). Values shorter than 4 characters are refused at registration: redacting "a"
 * everywhere would destroy output and protect nothing.
 */
import type { Logger } from "../core/index.js";
import { AiosError } from "../core/index.js";

export class Redactor {
  private readonly values = new Map<string, string>(); // form -> name
  private re: RegExp | undefined;

  add(name: string, value: string): void {
    if (value.length < 4) throw new AiosError("E_INVALID_ARG", `secret ${name}: value is too short to redact safely (min 4 characters)`, { details: { path: "value" } });
    for (const f of forms(value)) this.values.set(f, name);
    this.rebuild();
  }

  remove(value: string): void {
    for (const f of forms(value)) this.values.delete(f);
    this.rebuild();
  }

  get size(): number {
    return this.values.size;
  }

  private rebuild(): void {
    // Longest first, so a value that contains another is replaced whole.
    const keys = [...this.values.keys()].filter((k) => k.length >= 4).sort((a, b) => b.length - a.length);
    this.re = keys.length === 0 ? undefined : new RegExp(keys.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
  }

  redactString(s: string): string {
    if (this.re === undefined) return s;
    return s.replace(this.re, (m) => `[REDACTED:${this.values.get(m) ?? "secret"}]`);
  }

  /** Deep copy with every string (keys included) redacted; errors become redacted plain objects. */
  redact<T>(v: T): T {
    return this.walk(v, 0) as T;
  }

  private walk(v: unknown, depth: number): unknown {
    if (this.re === undefined) return v;
    if (typeof v === "string") return this.redactString(v);
    if (v === null || typeof v !== "object" || depth > 64) return v;
    if (v instanceof Error) {
      const copy = new AiosError(v instanceof AiosError ? v.code : "E_INTERNAL", this.redactString(v.message), {
        details: v instanceof AiosError ? (this.walk(v.details, depth + 1) as Record<string, unknown>) : {},
        ...(v instanceof AiosError ? { retryable: v.retryable } : {}),
        ...(v.cause === undefined ? {} : { cause: this.walk(v.cause, depth + 1) }),
      });
      if (v.stack !== undefined) copy.stack = this.redactString(v.stack);
      return copy;
    }
    if (Array.isArray(v)) return v.map((x) => this.walk(x, depth + 1));
    if (Buffer.isBuffer(v) || ArrayBuffer.isView(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[this.redactString(k)] = this.walk(x, depth + 1);
    return out;
  }
}

/** Characters of a partial leak that are redacted: any run this long of the value (values >= 12). */
export const REDACT_WINDOW = 8;
/** Encoded fragments shorter than this are not redacted (they would match unrelated text). */
const MIN_FORM = 6;

/**
 * Every form of `value` the redactor replaces. Base64 of a value embedded in a longer byte stream
 * depends on the value's offset modulo 3, so for each offset the characters that depend only on the
 * value's bytes are a form (in base64 and base64url). Also: URL-encoded, hex (both cases), reversed,
 * and every window of REDACT_WINDOW characters of the value and of its reverse (a partial read).
 * What this cannot catch — a program that transforms the value some other way (od, rot13, xor) —
 * is why the defence is never handing the value to the agent (tools/secret-slots.ts).
 */
function forms(value: string): string[] {
  const b = Buffer.from(value);
  const reversed = [...value].reverse().join("");
  const out = new Set<string>([value, reversed, encodeURIComponent(value), b.toString("hex"), b.toString("hex").toUpperCase()]);
  for (const shift of [0, 1, 2]) {
    for (const enc of ["base64", "base64url"] as const) {
      const s = Buffer.concat([Buffer.alloc(shift), b]).toString(enc).replace(/=+$/, "");
      // Leading characters mix in the `shift` bytes before the value; trailing ones the bytes after.
      const skip = shift === 0 ? 0 : shift + 1;
      const whole = Math.floor((shift + b.length) / 3) * 4;
      out.add(s.slice(skip, whole));
      if (shift === 0) {
        out.add(s); // the whole encoding, unpadded, when the value ends the stream
        out.add(Buffer.from(b).toString(enc)); // and padded
      }
    }
  }
  if (value.length >= 12) {
    for (const v of [value, reversed]) for (let i = 0; i + REDACT_WINDOW <= v.length; i++) out.add(v.slice(i, i + REDACT_WINDOW));
  }
  return [...out].filter((f) => f === value || f.length >= MIN_FORM);
}

/** A Logger that redacts every object and message before the wrapped logger sees it. */
export function redactingLogger(inner: Logger, r: Redactor): Logger {
  return {
    debug: (o, m) => inner.debug(r.redact(o), m === undefined ? undefined : r.redactString(m)),
    info: (o, m) => inner.info(r.redact(o), m === undefined ? undefined : r.redactString(m)),
    warn: (o, m) => inner.warn(r.redact(o), m === undefined ? undefined : r.redactString(m)),
    error: (o, m) => inner.error(r.redact(o), m === undefined ? undefined : r.redactString(m)),
    child: (b) => redactingLogger(inner.child(r.redact(b)), r),
  };
}
