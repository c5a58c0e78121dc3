/**
 * Canonical JSON for message signing and size measurement: object keys sorted, no whitespace, and
 * only JSON values (no undefined inside arrays, no functions, bigints, cycles or non-finite numbers).
 * Invariant: two payloads that are equal as JSON data encode to the same string, so a signature
 * made by one process verifies in another whatever order it built its objects in.
 */
import { AiosError } from "../core/index.js";

/** Encodes `value` canonically; throws E_INVALID_ARG naming `field` when it is not JSON data. */
export function canonicalJson(value: unknown, field = "payload"): string {
  const seen = new Set<object>();
  const enc = (v: unknown, path: string): string => {
    switch (typeof v) {
      case "string":
        return JSON.stringify(v);
      case "number":
        if (!Number.isFinite(v)) throw notJson(path, "a non-finite number");
        return JSON.stringify(v);
      case "boolean":
        return v ? "true" : "false";
      case "undefined":
        return "null";
      case "object": {
        if (v === null) return "null";
        if (seen.has(v)) throw notJson(path, "a cycle");
        // Dates and other toJSON-bearing objects encode as JSON.stringify would encode them.
        const toJson = (v as { toJSON?: unknown }).toJSON;
        if (typeof toJson === "function") return enc((toJson as () => unknown).call(v), path);
        seen.add(v);
        let out: string;
        if (Array.isArray(v)) {
          out = "[" + v.map((x, i) => enc(x, `${path}.${i}`)).join(",") + "]";
        } else {
          const o = v as Record<string, unknown>;
          const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
          out = "{" + keys.map((k) => JSON.stringify(k) + ":" + enc(o[k], `${path}.${k}`)).join(",") + "}";
        }
        seen.delete(v);
        return out;
      }
      default:
        throw notJson(path, `a ${typeof v}`);
    }
  };
  return enc(value, field);
}

function notJson(path: string, what: string): AiosError {
  return new AiosError("E_INVALID_ARG", `${path}: payloads must be JSON data, found ${what}`, { details: { path } });
}
