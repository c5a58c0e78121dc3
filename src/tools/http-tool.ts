/**
 * http.fetch: one HTTP(S) request under the egress rules (net-policy.ts): `net:<host>:<port>#fetch`
 * for the URL and for every redirect hop, address-class grants for non-public addresses, DNS
 * resolved once and pinned. Size and time limits are the tool's options; a call may ask for less,
 * never more. `headers` is the tool's secret slot (secret-slots.ts): a header may carry
 * `{{secret:NAME}}`, replaced at execution with `secret:NAME#use`; on a redirect to another origin
 * every header but a few harmless ones is dropped (http-fetch.ts), so the value never follows it.
 */
import { z } from "zod";
import { egressFetch } from "./http-fetch.js";
import { FetchUrl, netResource, systemResolver, targetOf, type Resolver } from "./net-policy.js";
import { defineTool, eraseTool, type AnyTool } from "./tool.js";

export interface HttpToolOptions {
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
  readonly maxRedirects?: number;
  /** DNS resolution (default: the system resolver); tests inject one to stage rebinding. */
  readonly resolve?: Resolver;
}

const Input = z.strictObject({
  url: FetchUrl,
  method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]).default("GET"),
  headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "not a valid header name"), z.string().max(8192).refine((v) => !/[\r\n]/.test(v), "contains a line break")).default({}),
  body: z.string().max(1 << 20).optional(),
  bodyEncoding: z.enum(["utf8", "base64"]).default("utf8"),
  responseEncoding: z.enum(["utf8", "base64"]).default("utf8"),
  maxBytes: z.number().int().positive().optional(),
  timeoutMs: z.number().int().positive().optional(),
});

const Output = z.object({
  url: z.string(),
  status: z.number(),
  headers: z.record(z.string(), z.string()),
  body: z.string(),
  bytes: z.number(),
  truncated: z.boolean(),
  redirects: z.array(z.string()),
});

export function httpTool(options: HttpToolOptions = {}): AnyTool {
  const maxBytes = options.maxBytes ?? 2 << 20;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const resolve = options.resolve ?? systemResolver;
  return eraseTool(
    defineTool({
      name: "http.fetch",
      description: "Fetch a URL (http/https) under the egress allow-list; redirects are re-checked hop by hop.",
      input: Input,
      output: Output,
      // GET and HEAD are not meant to change anything, but a server may still act on them.
      sideEffect: true,
      // `Authorization: Bearer {{secret:API_TOKEN}}`: the value is put in only here, at execution.
      secretSlots: ["headers.*"],
      requires: (a) => [{ resource: netResource(targetOf(a.url)), action: "fetch" }],
      async execute(a, ctx) {
        const res = await egressFetch(
          ctx,
          {
            url: a.url,
            method: a.method,
            headers: a.headers,
            ...(a.body === undefined ? {} : { body: Buffer.from(a.body, a.bodyEncoding) }),
            maxBytes: Math.min(a.maxBytes ?? maxBytes, maxBytes),
            timeoutMs: Math.min(a.timeoutMs ?? timeoutMs, timeoutMs),
            maxRedirects: options.maxRedirects ?? 5,
            checkedByDispatcher: true,
          },
          resolve,
        );
        return {
          url: res.url,
          status: res.status,
          headers: res.headers,
          body: res.body.toString(a.responseEncoding),
          bytes: res.body.length,
          truncated: res.truncated,
          redirects: res.redirects,
        };
      },
    }),
  );
}
