/**
 * Canonical encoding and content addresses. A version's hash is sha256 over the canonical JSON of
 * what the version *is* (record id, type, content, tags, parents), so the same logical write always
 * gets the same address and a tampered row no longer matches its hash. Canonical JSON: object keys
 * sorted, no whitespace, `undefined` members dropped; numbers as JSON prints them.
 */
import { hash } from "node:crypto";
import { AiosError } from "../core/index.js";

export function canonicalJson(value: unknown): string {
  try {
    return fast(value);
  } catch {
    // Slow path only to name the offending field in the error.
    return encode(value, "content");
  }
}

/** The hot path: no path bookkeeping; throws a bare error on anything that is not JSON data. */
function fast(v: unknown): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "boolean":
      return v ? "true" : "false";
    case "number":
      if (!Number.isFinite(v)) throw new Error("non-finite");
      return JSON.stringify(v);
    case "object": {
      if (Array.isArray(v)) {
        let out = "[";
        for (let i = 0; i < v.length; i++) out += (i === 0 ? "" : ",") + fast(v[i]);
        return out + "]";
      }
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj).sort();
      let out = "{";
      let first = true;
      for (const k of keys) {
        const x = obj[k];
        if (x === undefined) continue;
        out += (first ? "" : ",") + JSON.stringify(k) + ":" + fast(x);
        first = false;
      }
      return out + "}";
    }
    default:
      throw new Error("not JSON");
  }
}

function encode(v: unknown, path: string): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "boolean":
      return v ? "true" : "false";
    case "number":
      if (!Number.isFinite(v)) throw new AiosError("E_INVALID_ARG", `${path}: numbers must be finite`, { details: { path } });
      return JSON.stringify(v);
    case "object": {
      if (Array.isArray(v)) return "[" + v.map((x, i) => encode(x, `${path}[${i}]`)).join(",") + "]";
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      return "{" + keys.map((k) => JSON.stringify(k) + ":" + encode(obj[k], `${path}.${k}`)).join(",") + "}";
    }
    default:
      throw new AiosError("E_INVALID_ARG", `${path}: ${typeof v} is not JSON data`, { details: { path } });
  }
}

export interface VersionBody {
  readonly recordId: string;
  readonly type: string;
  readonly content: unknown;
  readonly tags: readonly string[];
  readonly parents: readonly string[];
  readonly deleted: boolean;
}

/**
 * The content address of a version: sha256 hex of the canonical JSON of
 * {c: content, d: deleted, g: sorted tags, p: sorted parents, r: record id, t: type}.
 * `contentCanon` lets the write path reuse the canonical content it already computed for sizing.
 */
export function versionHash(body: VersionBody, contentCanon?: string): string {
  const canon =
    `{"c":${contentCanon ?? canonicalJson(body.content)},"d":${body.deleted ? "true" : "false"},` +
    `"g":${JSON.stringify([...body.tags].sort())},"p":${JSON.stringify([...body.parents].sort())},` +
    `"r":${JSON.stringify(body.recordId)},"t":${JSON.stringify(body.type)}}`;
  return hash("sha256", canon, "hex");
}
