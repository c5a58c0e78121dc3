/**
 * The spec fields `aios upgrade` sends: inline JSON (`'{"version":"2","instructions":"..."}'`) or a
 * YAML/JSON file. From a file a relative `module` is made absolute against the file's directory
 * (as `aios run` does) and `name`, `kind` and `tenant` are dropped, so a whole spec file can be
 * given as the new version of an agent.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { AiosError } from "../core/index.js";

const FIXED = new Set(["name", "kind", "tenant"]);

export function readSpecPatch(arg: string): Record<string, unknown> {
  const fromFile = existsSync(arg);
  let raw: unknown;
  try {
    raw = fromFile ? parseYaml(readFileSync(arg, "utf8")) : JSON.parse(arg);
  } catch (e) {
    throw new AiosError("E_INVALID_ARG", `spec: ${fromFile ? `${arg} is not valid YAML or JSON` : "neither a file nor inline JSON"}: ${(e as Error).message}`, { cause: e, details: { path: "spec" } });
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new AiosError("E_INVALID_ARG", "spec: expected a mapping of spec fields", { details: { path: "spec" } });
  const patch = Object.fromEntries(Object.entries(raw as Record<string, unknown>).filter(([k]) => !fromFile || !FIXED.has(k)));
  const mod = patch["module"];
  if (fromFile && typeof mod === "string" && !isAbsolute(mod)) patch["module"] = resolve(dirname(arg), mod);
  if (Object.keys(patch).length === 0) throw new AiosError("E_INVALID_ARG", "spec: no field to change (name, kind and tenant cannot change)", { details: { path: "spec" } });
  return patch;
}
