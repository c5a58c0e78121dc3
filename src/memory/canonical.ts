/**
 * Canonical encoding and content addresses. A version's hash is sha256 over the canonical JSON of
 * what the version *is* (record id, type, content, tags, parents), so the same logical write always
 * gets the same address and a tampered row no longer matches its hash. Canonical JSON: object keys
 * sorted, no whitespace, `undefined` members dropped; numbers as JSON prints them.
 */
import { createHash } from "node:crypto";
import { AiosError } from "../core/index.js";

export function canonicalJson(value: unknown): string {
  return encode(value, "content");
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

/** The content address of a version: sha256 hex of its canonical body (parents sorted). */
export function versionHash(body: VersionBody): string {
  const canon = canonicalJson({
    r: body.recordId,
    t: body.type,
    c: body.content,
    g: [...body.tags].sort(),
    p: [...body.parents].sort(),
    d: body.deleted,
  });
  return createHash("sha256").update(canon).digest("hex");
}
