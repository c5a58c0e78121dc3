/**
 * Canonical JSON for message signing and size measurement (core's canonical JSON): two payloads that
 * are equal as JSON data encode to the same string, so a signature made by one process verifies in
 * another whatever order it built its objects in. Not-JSON data is E_INVALID_ARG naming `field`.
 */
import { canonicalJson as encode } from "../core/index.js";

export function canonicalJson(value: unknown, field = "payload"): string {
  return encode(value, field);
}
