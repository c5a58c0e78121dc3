/**
 * Logging is injected: the kernel takes a Logger, tests pass a silent one. The default is pino,
 * writing JSON to stderr so stdout stays free for command output. pino (CommonJS) is required when
 * the first such logger is made, so a process given its own logger never loads it (issue #17 item 6:
 * module loading is most of a restart's time).
 */
import { createRequire } from "node:module";
import type * as PinoModule from "pino";

export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  const { pino } = createRequire(import.meta.url)("pino") as typeof PinoModule;
  return pino({ level: options.level ?? process.env["AIOS_LOG_LEVEL"] ?? "warn", name: options.name ?? "aios" }, pino.destination(2));
}

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};
