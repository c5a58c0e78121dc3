/**
 * The demo's voice: numbered sections with a short explanation, then indented lines of what really
 * happened (ids, events, replies). Plain text on stdout, so it reads the same in a terminal, a CI
 * log or a test.
 */
import type { AnyKernelEvent } from "../../core/index.js";
import type { Output } from "../output.js";
import { eventLine } from "../render.js";

export class Narrator {
  private n = 0;
  readonly t0 = Date.now();

  constructor(private readonly out: Output) {}

  section(title: string, why: string): void {
    this.n++;
    this.out.line("");
    this.out.line(`${this.n}. ${title}`);
    for (const l of wrap(why, 96)) this.out.line(`   ${l}`);
  }
  say(text: string): void {
    for (const l of text.split("\n")) this.out.line(`   ${l}`);
  }
  show(label: string, value: unknown): void {
    this.say(`${label}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
  }
  event(e: AnyKernelEvent): void {
    this.say(`event ${eventLine(e)}`);
  }
  ok(text: string): void {
    this.say(`✓ ${text}`);
  }
  elapsed(): string {
    return `${((Date.now() - this.t0) / 1000).toFixed(1)} s`;
  }
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const w of text.split(/\s+/)) {
    if (line.length > 0 && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else line = line.length === 0 ? w : `${line} ${w}`;
  }
  if (line.length > 0) out.push(line);
  return out;
}
