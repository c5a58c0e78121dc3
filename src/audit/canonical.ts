/**
 * The canonical encoding of an audit entry: core's canonical JSON (RFC 8785 for the values we store).
 * The hash chain and the Merkle leaves hash these bytes. Invariant:
 * canonicalize(JSON.parse(canonicalize(v))) === canonicalize(v); values JSON cannot carry faithfully
 * are refused with E_INVALID_ARG naming the path ($.field), never turned into null.
 */
import { canonicalJson } from "../core/index.js";

export function canonicalize(value: unknown): string {
  return canonicalJson(value, "$");
}
