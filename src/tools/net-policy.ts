/**
 * Egress rules shared by http.fetch and browser.navigate. A request to `scheme://host:port` needs
 * `net:<host>:<port>#fetch`; the host is then resolved ONCE and every address class other than
 * public needs its own grant: `net-class:loopback#connect`, `net-class:private#connect`,
 * `net-class:link-local#connect` (and `net-class:reserved#connect`, which nobody should grant).
 * The returned Pinned address is the only one the connection may use, so a DNS answer that changes
 * between check and connect (rebinding) cannot redirect the request.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { z } from "zod";
import { AiosError } from "../core/index.js";
import type { ToolContext } from "./tool.js";

export type AddressClass = "public" | "loopback" | "private" | "link-local" | "reserved";

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

export type Resolver = (host: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolver: Resolver = async (host) => {
  const all = await lookup(host, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export interface Target {
  readonly url: URL;
  readonly host: string;
  readonly port: number;
}

export interface Pinned extends Target {
  readonly address: string;
  readonly family: 4 | 6;
  readonly addressClass: AddressClass;
}

/** An http(s) URL without credentials, as a schema (see AbsolutePath for why at parse time). */
export const FetchUrl = z
  .string()
  .min(1)
  .max(8192)
  .refine((u) => URL.canParse(u), "not a valid URL")
  .refine((u) => !URL.canParse(u) || /^https?:$/.test(new URL(u).protocol), "only http and https URLs are allowed")
  .refine((u) => !URL.canParse(u) || (new URL(u).username === "" && new URL(u).password === ""), "credentials in the URL are not allowed");

/** Parses and normalises a URL; only http and https are allowed. */
export function targetOf(raw: string, field = "args.url"): Target {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AiosError("E_INVALID_ARG", `${field}: "${raw}" is not a valid URL`, { details: { path: field } });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new AiosError("E_CAP_DENIED", `${field}: scheme ${url.protocol} is not allowed (http and https only)`, { details: { path: field, url: raw, resource: raw, action: "fetch" } });
  }
  if (url.username !== "" || url.password !== "") {
    throw new AiosError("E_INVALID_ARG", `${field}: credentials in the URL are not allowed`, { details: { path: field } });
  }
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
  return { url, host, port };
}

export function netResource(t: Target): string {
  return `net:${t.host}:${t.port}`;
}

/**
 * Host/port grant, then one DNS resolution, then the address-class grant. `recheck` marks the first
 * hop, which the dispatcher already checked and charged: it is re-checked with amount 0.
 */
export async function checkEgress(ctx: ToolContext, t: Target, resolve: Resolver, recheck = false): Promise<Pinned> {
  ctx.check({ resource: netResource(t), action: "fetch", ...(recheck ? { amount: 0 } : {}) });
  let addrs: readonly ResolvedAddress[];
  const literal = isIP(t.host);
  if (literal !== 0) addrs = [{ address: t.host, family: literal === 6 ? 6 : 4 }];
  else {
    try {
      addrs = await resolve(t.host);
    } catch (e) {
      throw new AiosError("E_TOOL", `cannot resolve ${t.host}: ${(e as Error).message}`, { cause: e, details: { host: t.host } });
    }
  }
  const first = addrs[0];
  if (first === undefined) throw new AiosError("E_TOOL", `${t.host} resolved to no address`, { details: { host: t.host } });
  const addressClass = classifyAddress(first.address);
  if (addressClass !== "public") {
    try {
      ctx.check({ resource: `net-class:${addressClass}`, action: "connect" });
    } catch {
      throw new AiosError("E_CAP_DENIED", `${t.host} resolves to ${first.address}, a ${addressClass} address; refused (grant net-class:${addressClass}#connect to allow)`, {
        details: { host: t.host, address: first.address, addressClass, resource: `net-class:${addressClass}`, action: "connect" },
      });
    }
  }
  return { ...t, address: first.address, family: first.family, addressClass };
}

export function classifyAddress(address: string): AddressClass {
  const v = isIP(address);
  if (v === 4) return classifyV4(address);
  if (v !== 6) return "reserved";
  const a = address.toLowerCase();
  const groups = expandV6(a);
  if (groups === null) return "reserved";
  if (groups.every((g) => g === 0)) return "reserved"; // ::
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return "loopback";
  const g0 = groups[0] ?? 0;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return classifyV4(v4From(groups[6] ?? 0, groups[7] ?? 0));
  if ((g0 & 0xfe00) === 0xfc00) return "private"; // fc00::/7 unique local
  if ((g0 & 0xffc0) === 0xfe80) return "link-local"; // fe80::/10
  if ((g0 & 0xff00) === 0xff00) return "reserved"; // multicast
  if (g0 === 0x64 && groups[1] === 0xff9b) return classifyV4(v4From(groups[6] ?? 0, groups[7] ?? 0)); // NAT64
  return "public";
}

function classifyV4(address: string): AddressClass {
  const [a = 0, b = 0] = address.split(".").map(Number);
  if (a === 127) return "loopback";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return "private";
  if (a === 169 && b === 254) return "link-local";
  if (a === 0 || a >= 224) return "reserved";
  return "public";
}

function v4From(hi: number, lo: number): string {
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

function expandV6(a: string): number[] | null {
  const withV4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  let s = a.split("%")[0] ?? a;
  if (withV4?.[1] !== undefined) {
    const [p, q, r, t] = withV4[1].split(".").map(Number);
    s = s.slice(0, -withV4[1].length) + `${(((p ?? 0) << 8) | (q ?? 0)).toString(16)}:${(((r ?? 0) << 8) | (t ?? 0)).toString(16)}`;
  }
  const [head = "", tail] = s.split("::");
  const h = head === "" ? [] : head.split(":");
  const t = tail === undefined || tail === "" ? [] : tail.split(":");
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const parts = [...h, ...Array<string>(Math.max(0, fill)).fill("0"), ...t];
  if (parts.length !== 8) return null;
  return parts.map((p) => parseInt(p, 16));
}
