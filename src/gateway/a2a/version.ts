/**
 * The A2A-Version service parameter (spec 3.6.2): read from the `A2A-Version` header or, failing
 * that, the `A2A-Version` query parameter; an absent or empty value means 0.3. Only Major.Minor
 * counts (a patch is ignored, VER-CLIENT-002). This server speaks 1.0 only, so anything else is
 * VersionNotSupportedError naming what was asked and what is served.
 */
import { a2aError } from "./errors.js";

export const PROTOCOL_VERSION = "1.0";

export function requestedVersion(req: Request, url: URL): string {
  const raw = (req.headers.get("a2a-version") ?? url.searchParams.get("A2A-Version") ?? "").trim();
  if (raw === "") return "0.3";
  const m = /^(\d+)\.(\d+)(?:\.\d+)?$/.exec(raw);
  return m === null ? raw : `${Number(m[1])}.${Number(m[2])}`;
}

export function checkVersion(req: Request, url: URL): void {
  const v = requestedVersion(req, url);
  if (v !== PROTOCOL_VERSION) throw a2aError("VersionNotSupportedError", `A2A-Version ${v} is not supported; this agent serves ${PROTOCOL_VERSION}`, { requested: v, supported: PROTOCOL_VERSION });
}

const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/** A well-formed W3C traceparent (version 00) from the request, else undefined (a bad one is dropped, as the W3C spec says). */
export function traceparentOf(req: Request): string | undefined {
  const v = req.headers.get("traceparent")?.trim().toLowerCase();
  return v !== undefined && TRACEPARENT.test(v) ? v : undefined;
}
