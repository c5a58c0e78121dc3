/**
 * The canonical encoding of an audit entry: JSON with object keys sorted by UTF-16 code unit and no
 * whitespace — for the values we store (strings, finite numbers, booleans, null, arrays, plain
 * objects) this is RFC 8785 (JCS), because JSON.stringify already serialises strings and numbers
 * the JCS way. The hash chain and the Merkle leaves hash these bytes, so the same content always
 * hashes the same whatever order its keys were built in.
 *
 * Invariant: canonicalize(JSON.parse(canonicalize(v))) === canonicalize(v). Values JSON cannot carry
 * faithfully (NaN, Infinity, bigint, functions, symbols, cycles) are refused with E_INVALID_ARG
 * naming the path, rather than silently turned into null.
 */
import { AiosError } from "../core/index.js";

export function canonicalize(value: unknown): string {
  return encode(value, "$", new Set());
}

function encode(v: unknown, path: string, seen: Set<object>): string {
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "boolean":
      return v ? "true" : "false";
    case "number":
      if (!Number.isFinite(v)) throw bad(path, `non-finite number ${String(v)}`);
      return JSON.stringify(v);
    case "object":
      if (v === null) return "null";
      return encodeObject(v, path, seen);
    default:
      throw bad(path, `a ${typeof v} cannot be encoded`);
  }
}

function encodeObject(v: object, path: string, seen: Set<object>): string {
  if (seen.has(v)) throw bad(path, "a cycle");
  seen.add(v);
  let out: string;
  if (Array.isArray(v)) {
    const parts: string[] = [];
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      // JSON turns holes and undefined in arrays into null; do the same so parse/encode round-trips.
      parts.push(item === undefined ? "null" : encode(item, `${path}[${i}]`, seen));
    }
    out = `[${parts.join(",")}]`;
  } else if (v instanceof Date) {
    out = JSON.stringify(v.toISOString());
  } else {
    const rec = v as Record<string, unknown>;
    const keys = Object.keys(rec).sort();
    const parts: string[] = [];
    for (const k of keys) {
      const item = rec[k];
      if (item === undefined) continue;
      parts.push(`${JSON.stringify(k)}:${encode(item, `${path}.${k}`, seen)}`);
    }
    out = `{${parts.join(",")}}`;
  }
  seen.delete(v);
  return out;
}

function bad(path: string, what: string): AiosError {
  return new AiosError("E_INVALID_ARG", `audit entry field ${path}: ${what}`, { details: { path } });
}
