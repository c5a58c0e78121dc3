/**
 * Canonical JSON: object keys sorted by UTF-16 code unit, no whitespace, `undefined` members dropped,
 * `undefined` array items as null, objects with toJSON (Dates) as JSON.stringify would give them.
 * For strings, finite numbers, booleans, null, arrays and plain objects this is RFC 8785 (JCS), as
 * JSON.stringify already writes strings and numbers the JCS way. Hashes, signatures and content
 * addresses (audit chain, message signatures, memory versions) are taken over these bytes, so the
 * same data always encodes the same whatever order its keys were built in.
 *
 * Values JSON cannot carry faithfully (non-finite numbers, bigints, functions, symbols, cycles) are
 * refused with E_INVALID_ARG naming the path, never silently turned into null.
 */
import { AiosError } from "./errors.js";

/** Encodes `value`; `root` names it in errors (`payload.items.3: a cycle`). */
export function canonicalJson(value: unknown, root = "$"): string {
  try {
    return fast(value);
  } catch {
    // The slow path runs only to name the offending field (and to catch cycles the fast one overflows on).
    return slow(value, root, new Set());
  }
}

function fast(v: unknown): string {
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "boolean":
      return v ? "true" : "false";
    case "number":
      if (!Number.isFinite(v)) throw new Error("non-finite");
      return JSON.stringify(v);
    case "object": {
      if (v === null) return "null";
      if (typeof (v as { toJSON?: unknown }).toJSON === "function") return fast((v as { toJSON(): unknown }).toJSON());
      if (Array.isArray(v)) {
        let out = "[";
        for (let i = 0; i < v.length; i++) out += (i === 0 ? "" : ",") + (v[i] === undefined ? "null" : fast(v[i]));
        return out + "]";
      }
      const obj = v as Record<string, unknown>;
      const keys = sortedKeys(obj);
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

/**
 * An object's keys in UTF-16 order. Most objects hashed here are built by our own code with their
 * keys already in order (audit entries, envelopes): checking that is a pass of comparisons, where
 * sort() copies the array on every call.
 */
function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  for (let i = 1; i < keys.length; i++) {
    if ((keys[i - 1] as string) > (keys[i] as string)) return keys.sort();
  }
  return keys;
}

function slow(v: unknown, path: string, seen: Set<object>): string {
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "boolean":
      return v ? "true" : "false";
    case "number":
      if (!Number.isFinite(v)) throw bad(path, `non-finite number ${String(v)}`);
      return JSON.stringify(v);
    case "object": {
      if (v === null) return "null";
      if (seen.has(v)) throw bad(path, "a cycle");
      if (typeof (v as { toJSON?: unknown }).toJSON === "function") return slow((v as { toJSON(): unknown }).toJSON(), path, seen);
      seen.add(v);
      let out: string;
      if (Array.isArray(v)) {
        out = "[" + v.map((x: unknown, i) => (x === undefined ? "null" : slow(x, `${path}.${i}`, seen))).join(",") + "]";
      } else {
        const o = v as Record<string, unknown>;
        const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
        out = "{" + keys.map((k) => JSON.stringify(k) + ":" + slow(o[k], `${path}.${k}`, seen)).join(",") + "}";
      }
      seen.delete(v);
      return out;
    }
    default:
      throw bad(path, `a ${typeof v} cannot be encoded as JSON`);
  }
}

function bad(path: string, what: string): AiosError {
  return new AiosError("E_INVALID_ARG", `${path}: ${what}`, { details: { path } });
}
