/**
 * The dashboard's session: the browser presents the same API token as the bearer clients, once, on
 * the login page; it is then kept in a cookie the page's scripts cannot read (HttpOnly), that no
 * other site's request carries (SameSite=Strict) and, behind TLS, that never travels in clear
 * (Secure). State-changing forms carry two CSRF defences beside SameSite: the request's Origin (or
 * Referer) must be this server's own origin, and a CSRF token — an HMAC of the API token, so it
 * needs no server state and changes when the token does — must come back in the form or header.
 * Behind a TLS proxy the daemon sees plain HTTP: its public origin (`aios up --public-url`) is then
 * the origin pages come from, and the cookie is Secure because that origin is https.
 */
import { createHmac } from "node:crypto";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { AiosError } from "../../core/index.js";
import { bearerToken, tokenMatches } from "../token.js";

export const SESSION_COOKIE = "aios_session";
export const CSRF_FIELD = "csrf";
export const CSRF_HEADER = "x-csrf-token";

/** The CSRF token of a session: HMAC-SHA256(api token, purpose), base64url. */
export function csrfToken(apiToken: string): string {
  return createHmac("sha256", apiToken).update("aios-dashboard-csrf-v1").digest("base64url");
}

/**
 * The origin browsers reach the dashboard at when it is not the daemon's own (a TLS proxy in front):
 * an http(s) URL with no path, query or credentials. E_INVALID_ARG names what is wrong.
 */
export function publicOrigin(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new AiosError("E_INVALID_ARG", `public URL ${JSON.stringify(url)} is not a URL`, { details: { path: "publicUrl" } });
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw new AiosError("E_INVALID_ARG", `public URL ${JSON.stringify(url)}: the scheme must be https (or http)`, { details: { path: "publicUrl" } });
  if (u.username !== "" || u.password !== "" || (u.pathname !== "/" && u.pathname !== "") || u.search !== "" || u.hash !== "") {
    throw new AiosError("E_INVALID_ARG", `public URL ${JSON.stringify(url)}: give the origin only (scheme, host, port), no path, query or credentials`, { details: { path: "publicUrl" } });
  }
  return u.origin;
}

/** Secure when the request came over TLS or the public origin is https (TLS ends at a proxy). */
const isTls = (c: Context, pub: string | undefined): boolean => new URL(c.req.url).protocol === "https:" || (pub?.startsWith("https:") ?? false);

/** True when the request carries the API token, in the session cookie or as a bearer header. */
export function authenticated(c: Context, apiToken: string): boolean {
  return tokenMatches(apiToken, getCookie(c, SESSION_COOKIE)) || tokenMatches(apiToken, bearerToken(c.req.header("authorization")));
}

export function startSession(c: Context, apiToken: string, pub?: string): void {
  setCookie(c, SESSION_COOKIE, apiToken, { httpOnly: true, sameSite: "Strict", path: "/", secure: isTls(c, pub) });
}

export function endSession(c: Context, pub?: string): void {
  deleteCookie(c, SESSION_COOKIE, { httpOnly: true, sameSite: "Strict", path: "/", secure: isTls(c, pub) });
}

/**
 * A state-changing request came from a page of this server: its Origin (or, lacking it, its
 * Referer) is this server's origin, or its public origin `pub` when one is configured. Browsers
 * send Origin on every cross-origin POST and on same-origin POSTs too, so a missing pair is refused
 * rather than trusted.
 */
export function sameOrigin(c: Context, pub?: string): boolean {
  const own = new URL(c.req.url).origin;
  const ours = (o: string): boolean => o === own || o === pub;
  const origin = c.req.header("origin");
  if (origin !== undefined) return ours(origin);
  const referer = c.req.header("referer");
  if (referer === undefined) return false;
  try {
    return ours(new URL(referer).origin);
  } catch {
    return false;
  }
}

/** The CSRF token presented with a form (field) or a script's fetch (header) matches the session's. */
export function csrfMatches(apiToken: string, presented: string | undefined): boolean {
  return tokenMatches(csrfToken(apiToken), presented);
}
