/**
 * What every command gets: the output, the data directory (`--data-dir`, else `$AIOS_HOME`, else
 * `./.aios`) and the way to the control API — the daemon daemon.json names when its process is alive
 * (E_UNAVAILABLE, exit 3, when there is none), or, for the commands that allow it, a kernel booted
 * in this process. Which one was used is said on stderr.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { AiosError } from "../core/index.js";
import { findLiveDaemon, readApiToken, readDaemonInfo, type ControlApi, type DaemonInfo } from "../gateway/index.js";
import { HttpControl } from "./client.js";
import type { Output } from "./output.js";

export interface GlobalOptions {
  readonly dataDir?: string;
  readonly json?: boolean;
  readonly verbose?: boolean;
}

export function resolveDataDir(opt: string | undefined): string {
  return resolve(opt ?? process.env["AIOS_HOME"] ?? ".aios");
}

export class CliContext {
  constructor(
    readonly out: Output,
    readonly dataDir: string,
  ) {}

  /** The live daemon for this data dir, if any. */
  daemon(): DaemonInfo | undefined {
    return findLiveDaemon(this.dataDir);
  }

  /** A client for the running daemon; E_UNAVAILABLE (exit 3) when there is none. */
  connect(): ControlApi {
    const d = this.daemon();
    if (d === undefined) {
      const stale = readDaemonInfo(this.dataDir);
      const why = stale === undefined ? "no daemon.json" : `daemon.json names pid ${stale.pid}, which is not running`;
      throw new AiosError("E_UNAVAILABLE", `no daemon is running for ${this.dataDir} (${why}); start one with \`aios up --data-dir ${this.dataDir}\``);
    }
    const token = readApiToken(this.dataDir);
    if (token === undefined) throw new AiosError("E_UNAVAILABLE", `the daemon's API token ${this.dataDir}/api-token cannot be read`);
    return new HttpControl(`http://${d.host}:${d.port}`, token);
  }
}

/** Reads a YAML or JSON file for an option (`--models`, `--policy`), naming the option on error. */
export function readConfigFile(path: string, option: string): unknown {
  if (!existsSync(path)) throw new AiosError("E_INVALID_ARG", `${option}: no such file ${path}`, { details: { path: option } });
  try {
    return parseYaml(readFileSync(path, "utf8")) as unknown;
  } catch (e) {
    throw new AiosError("E_INVALID_ARG", `${option}: ${path} is not valid YAML or JSON: ${(e as Error).message}`, { cause: e, details: { path: option } });
  }
}
