/** Reading a YAML or JSON file an option names (`--models`, `--policy`), naming the option on error. */
import { existsSync, readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { AiosError } from "../core/index.js";

export function readConfigFile(path: string, option: string): unknown {
  if (!existsSync(path)) throw new AiosError("E_INVALID_ARG", `${option}: no such file ${path}`, { details: { path: option } });
  try {
    return parseYaml(readFileSync(path, "utf8")) as unknown;
  } catch (e) {
    throw new AiosError("E_INVALID_ARG", `${option}: ${path} is not valid YAML or JSON: ${(e as Error).message}`, { cause: e, details: { path: option } });
  }
}
