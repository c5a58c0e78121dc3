/**
 * Canonical encoding and content addresses. A version's hash is sha256 over the canonical JSON of
 * what the version *is* (record id, type, content, tags, parents), so the same logical write always
 * gets the same address and a tampered row no longer matches its hash. Canonical JSON is core's:
 * object keys sorted, no whitespace, `undefined` members dropped; numbers as JSON prints them.
 */
import { hash } from "node:crypto";
import { canonicalJson as encode } from "../core/index.js";

/** The canonical JSON of a record's content (core's encoding); errors name the field under `content`. */
export function canonicalJson(value: unknown): string {
  return encode(value, "content");
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
    `"g":${JSON.stringify(sorted(body.tags))},"p":${JSON.stringify(sorted(body.parents))},` +
    `"r":${JSON.stringify(body.recordId)},"t":${JSON.stringify(body.type)}}`;
  return hash("sha256", canon, "hex");
}

/** A sorted copy (the list itself when it has under two items: nothing to sort, nothing mutated). */
function sorted(xs: readonly string[]): readonly string[] {
  return xs.length < 2 ? xs : [...xs].sort();
}
