/**
 * The dashboard's session: the browser presents the same API token as the bearer clients, once, on
 * the login page; it is then kept in a cookie the page's scripts cannot read (HttpOnly), that no
 * other site's request carries (SameSite=Strict) and, behind TLS, that never travels in clear
 * (Secure). State-changing forms carry two CSRF defences beside SameSite: the request's Origin (or
 * Referer) must be this server's own origin, and a CSRF token — an HMAC of the API token, so it
 * needs no server state and changes when the token does — must come back in the form or header.
 */
import { createHmac } from "node:crypto";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { bearerToken, tokenMatches } from "../token.js";

export const SESSION_COOKIE = "aios_session";
export const CSRF_FIELD = "csrf";
export const CSRF_HEADER = "x-csrf-token";

/** The CSRF token of a session: HMAC-SHA256(api token, purpose), base64url. */
export function csrfToken(apiToken: string): string {
  return createHmac("sha256", apiToken).update("aios-dashboard-csrf-v1").digest("base64url");
}

const isTls = (c: Context): boolean => new URL(c.req.url).protocol === "https:";

/** True when the request carries the API token, in the session cookie or as a bearer header. */
export function authenticated(c: Context, apiToken: string): boolean {
  return tokenMatches(apiToken, getCookie(c, SESSION_COOKIE)) || tokenMatches(apiToken, bearerToken(c.req.header("authorization")));
}

export function startSession(c: Context, apiToken: string): void {
  setCookie(c, SESSION_COOKIE, apiToken, { httpOnly: true, sameSite: "Strict", path: "/", secure: isTls(c) });
}

export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { httpOnly: true, sameSite: "Strict", path: "/", secure: isTls(c) });
}

/**
 * A state-changing request came from a page of this server: its Origin (or, lacking it, its
 * Referer) is this server's origin. Browsers send Origin on every cross-origin POST and on
 * same-origin POSTs too, so a missing pair is refused rather than trusted.
 */
export function sameOrigin(c: Context): boolean {
  const own = new URL(c.req.url).origin;
  const origin = c.req.header("origin");
  if (origin !== undefined) return origin === own;
  const referer = c.req.header("referer");
  if (referer === undefined) return false;
  try {
    return new URL(referer).origin === own;
  } catch {
    return false;
  }
}

/** The CSRF token presented with a form (field) or a script's fetch (header) matches the session's. */
export function csrfMatches(apiToken: string, presented: string | undefined): boolean {
  return tokenMatches(csrfToken(apiToken), presented);
}
