/**
 * The API bearer token: 32 random bytes (base64url) kept in `<dataDir>/api-token` with mode 0600,
 * created at the first `aios up` and reused after. Anyone who can read that file may drive the
 * daemon, just like anyone who can read the data directory could; nobody else can. Comparison is
 * constant-time over SHA-256 digests, so neither the content nor the length of the expected token
 * leaks through response timing.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { AiosError } from "../core/index.js";

export const TOKEN_FILE = "api-token";

export function tokenPath(dataDir: string): string {
  return join(dataDir, TOKEN_FILE);
}

/** Reads the token, creating it (0600, exclusive create so two starters agree) when missing. */
export function ensureApiToken(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = tokenPath(dataDir);
  try {
    const fd = openSync(path, "wx", 0o600);
    try {
      writeSync(fd, randomBytes(32).toString("base64url") + "\n");
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new AiosError("E_CONFIG", `cannot create the API token file ${path}`, { cause: e });
  }
  // A token file someone widened is narrowed again: it is a password.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  const token = readApiToken(dataDir);
  if (token === undefined) throw new AiosError("E_CONFIG", `the API token file ${path} is empty; delete it and start again`);
  return token;
}

/** The token, or undefined when there is no (or an empty) token file. */
export function readApiToken(dataDir: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(tokenPath(dataDir), "utf8");
  } catch {
    return undefined;
  }
  const t = text.trim();
  return t.length === 0 ? undefined : t;
}

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

/** Constant-time comparison of the expected token with what a request presented. */
export function tokenMatches(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(digest(expected), digest(given));
}

/** The token from an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
