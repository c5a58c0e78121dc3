/**
 * The dashboard's static files, built once per process: body, content type and a strong ETag (the
 * SHA-256 of the body), so a browser revalidates with If-None-Match and gets 304 while they are
 * unchanged. `gzipBytes` is what the JavaScript costs on the wire (the budget is 60 kB gzipped).
 */
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { ISLAND_JS } from "./assets/island-js.js";
import { STYLE_CSS } from "./assets/style-css.js";

export interface Asset {
  readonly body: string;
  readonly type: string;
  readonly etag: string;
  readonly gzipBytes: number;
}

function asset(body: string, type: string): Asset {
  return { body, type, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`, gzipBytes: gzipSync(body, { level: 9 }).length };
}

export const ASSETS: Readonly<Record<string, Asset>> = {
  "dashboard.js": asset(ISLAND_JS, "text/javascript; charset=utf-8"),
  "dashboard.css": asset(STYLE_CSS, "text/css; charset=utf-8"),
};
