/**
 * A tagged template for server-rendered HTML that escapes every interpolated value unless it is
 * already `Html` (a fragment built by this same tag). Arrays are joined, undefined/false/null render
 * nothing. The one way the dashboard writes markup, so user-controlled text (agent names, payloads,
 * memory content) can never become markup.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ESC[ch] ?? ch);
}

function render(v: HtmlValue): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return (v as readonly HtmlValue[]).map(render).join("");
  if (v === undefined || v === null || v === false || v === true) return "";
  return escapeHtml(String(v));
}

export function h(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? "");
  return new Html(out);
}

/** JSON for a <pre>, cut at `max` characters so one huge record cannot swamp a page. */
export function jsonText(v: unknown, max = 4_000): string {
  let s: string;
  try {
    s = JSON.stringify(v, null, 2) ?? "undefined";
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max)}\n… (${s.length - max} more characters)` : s;
}

export const isoTime = (ms: number): string => new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
