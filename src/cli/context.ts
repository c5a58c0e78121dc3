/**
 * What every command gets: the output, the data directory (`--data-dir`, else `$AIOS_HOME`, else
 * `./.aios`) and the way to the control API — the daemon daemon.json names when its process is alive
 * (E_UNAVAILABLE, exit 3, when there is none), or, for the commands that allow it, a kernel booted
 * in this process. Which one was used is said on stderr. This file stays light (no gateway, no zod,
 * no yaml): every quick command loads it (docs/adr/0025).
 */
import { resolve } from "node:path";
import { AiosError } from "../core/index.js";
import { HttpControl } from "./client.js";
import { liveDaemon, readDaemonLocation, readToken, type DaemonLocation } from "./daemon-locator.js";
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
  daemon(): DaemonLocation | undefined {
    return liveDaemon(this.dataDir);
  }

  /** A client for the running daemon; E_UNAVAILABLE (exit 3) when there is none, E_AUTH without a token. */
  connect(): HttpControl {
    const d = this.daemon();
    if (d === undefined) {
      const stale = readDaemonLocation(this.dataDir);
      const why = stale === undefined ? "no daemon.json" : `daemon.json names pid ${stale.pid}, which is not running`;
      throw new AiosError("E_UNAVAILABLE", `no daemon is running for ${this.dataDir} (${why}); start one with \`aios up --data-dir ${this.dataDir}\``);
    }
    const t = readToken(this.dataDir);
    if (t.token === undefined) {
      throw new AiosError("E_AUTH", `no API token: ${t.path}: ${t.why ?? "it cannot be read"}; the daemon (pid ${d.pid}) writes it at \`aios up\` — run this as the user who started it`, { details: { path: t.path } });
    }
    return new HttpControl(`http://${d.host}:${d.port}`, t.token, t.path);
  }
}
