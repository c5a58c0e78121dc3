/**
 * Scripted models for the example agents: each plays, turn by turn, what a tool-calling model does
 * when it follows the spec's instructions, reading the real tool results it got back (fetched pages,
 * record ids, search hits, test output, file contents) — nothing in the answers is made up by the
 * script that the tools did not return. Served by fake-openai.ts in the wire format.
 */
import type { Conversation, ScriptTurn, ToolResult } from "./fake-openai.js";
import { pageText } from "./page-server.js";

const parse = (r: ToolResult): Record<string, unknown> => JSON.parse(r.content) as Record<string, unknown>;
const isError = (r: ToolResult): boolean => "error" in parse(r);

/** The research agent (examples/specs/research.yaml): fetch, store, search, answer with citations. */
export function researcher(c: Conversation): ScriptTurn {
  const goal = c.user[0] ?? "";
  const fetched = c.results.filter((r) => r.name === "http.fetch" && !isError(r));
  const stored = c.results.filter((r) => r.name === "memory.store");
  const searched = c.results.filter((r) => r.name === "memory.search");
  if (fetched.length === 0) {
    const start = /https?:\/\/\S+/.exec(goal)?.[0];
    if (start === undefined) return { text: "Give me a page to start from." };
    return { toolCalls: [{ name: "http.fetch", args: { url: start } }] };
  }
  if (fetched.length === 1) {
    const index = parse(fetched[0]!) as { url: string; body: string };
    const links = [...index.body.matchAll(/href="([^"]+)"/g)].map((m) => new URL(m[1]!, index.url).href);
    return { toolCalls: links.map((url) => ({ name: "http.fetch", args: { url } })) };
  }
  if (stored.length === 0) {
    return {
      toolCalls: fetched.slice(1).map((r) => {
        const page = parse(r) as { url: string; body: string };
        const title = /<title>([^<]*)<\/title>/.exec(page.body)?.[1] ?? page.url;
        return { name: "memory.store", args: { type: "document_chunk", scope: "shared/research", tags: ["research"], content: { document: page.url, index: 0, title, text: pageText(page.body) } } };
      }),
    };
  }
  if (searched.length === 0) {
    const question = goal.split("?")[0] ?? goal;
    return { toolCalls: [{ name: "memory.search", args: { text: question, k: 3, mode: "hybrid", filter: { scope: "shared/research" } } }] };
  }
  const hits = (parse(searched[0]!) as { hits: { id: string; content: { document: string; text: string } }[] }).hits.slice(0, 2);
  const claims = hits.map((h, i) => `${firstSentence(h.content.text, c.user[0] ?? "")} [${i + 1}]`).join(" ");
  const sources = hits.map((h, i) => `[${i + 1}] ${h.content.document} (memory ${h.id})`).join("\n");
  return { text: `${claims}\n\nSources:\n${sources}` };
}

/** The sentence of `text` that shares the most words with the question (a model's "quote"). */
function firstSentence(text: string, question: string): string {
  const words = new Set(question.toLowerCase().match(/[a-z]{3,}/g) ?? []);
  const sentences = text.split(/(?<=\.)\s+/);
  let best = sentences[0] ?? text;
  let score = -1;
  for (const s of sentences) {
    const n = (s.toLowerCase().match(/[a-z]{3,}/g) ?? []).filter((w) => words.has(w)).length;
    if (n > score) [best, score] = [s, n];
  }
  return best;
}

/** A one-hunk unified diff replacing line `at` (0-based) of `path`'s text `before` with `line`. */
export function oneLineDiff(path: string, before: string, at: number, line: string): string {
  const lines = before.split("\n");
  const from = Math.max(0, at - 3);
  const to = Math.min(lines.length - (before.endsWith("\n") ? 1 : 0), at + 4);
  const ctx = (i: number): string => ` ${lines[i]}`;
  const body: string[] = [];
  for (let i = from; i < to; i++) body.push(i === at ? `-${lines[i]}\n+${line}` : ctx(i));
  const n = to - from;
  return `--- a/${path}\n+++ b/${path}\n@@ -${from + 1},${n} +${from + 1},${n} @@\n${body.join("\n")}\n`;
}

/**
 * The code agent (examples/specs/coder.yaml): run the tests in the sandbox, read the failing code,
 * try to fix it in place (its capabilities refuse that), write the patch into its scratch dir and
 * answer with the exit status and the diff.
 */
export function coder(c: Conversation): ScriptTurn {
  const goal = c.user[0] ?? "";
  const repo = /repository at (\S+?)[.,;]?(\s|$)/.exec(goal)?.[1];
  const scratch = /scratch directory (\S+?)[.,;]?(\s|$)/.exec(goal)?.[1];
  if (repo === undefined || scratch === undefined) return { text: "Tell me the repository and the scratch directory." };
  const tests = c.results.find((r) => r.name === "shell.execute");
  const read = c.results.find((r) => r.name === "file.read");
  const writes = c.results.filter((r) => r.name === "file.write");
  if (tests === undefined) {
    return { toolCalls: [{ name: "shell.execute", args: { command: "node", args: ["--test", `${repo}/test/`], mounts: [{ path: repo }] } }] };
  }
  if (read === undefined) return { toolCalls: [{ name: "file.read", args: { path: `${repo}/src/slugify.js` } }] };
  const source = (parse(read) as { content: string }).content;
  const at = source.split("\n").findIndex((l) => l.includes(".replace(/[^a-z0-9]/g"));
  const fixed = (source.split("\n")[at] ?? "").replace("/[^a-z0-9]/g", "/[^a-z0-9]+/g");
  if (writes.length === 0) {
    // A model that tries to fix the repository itself: the spec grants no write there.
    return { toolCalls: [{ name: "file.write", args: { path: `${repo}/src/slugify.js`, content: source.replace("/[^a-z0-9]/g", "/[^a-z0-9]+/g") } }] };
  }
  const diff = oneLineDiff("src/slugify.js", source, at, fixed);
  if (writes.length === 1) return { toolCalls: [{ name: "file.write", args: { path: `${scratch}/slugify.patch`, content: diff } }] };
  const run = parse(tests) as { exitCode?: number | null; stdout?: string; error?: { code: string; message: string } };
  if (run.stdout === undefined) return { text: `I could not run the tests: ${JSON.stringify(run.error)}` };
  const failing = run.stdout.split("\n").filter((l) => l.startsWith("not ok")).map((l) => l.replace(/^not ok \d+ - /, ""));
  return {
    text:
      `The tests ran in the sandbox (node --test test/): exit status ${run.exitCode}, ${failing.length} failing: ${failing.join("; ")}.\n` +
      `slugify replaced each non-alphanumeric character with its own dash, so runs of punctuation left several dashes. ` +
      `The patch (also in ${scratch}/slugify.patch) makes the pattern match a run:\n\n\`\`\`diff\n${diff}\`\`\``,
  };
}

/**
 * The MCP-over-A2A agent (examples/specs/mcp-a2a.yaml): adds the two numbers of the question with
 * the MCP server's get-sum tool and quotes the server's answer (or the error code of a refusal).
 */
export function calculator(c: Conversation): ScriptTurn {
  const question = c.user.at(-1) ?? "";
  const [a, b] = (question.match(/-?\d+(\.\d+)?/g) ?? []).map(Number);
  if (a === undefined || b === undefined) return { text: "Give me two numbers to add." };
  const call = { name: "mcp.everything.get-sum", args: { a, b } };
  // The answer to this question's call, if made (the conversation may hold earlier questions' calls).
  const done = c.results.findLast((r) => r.name === call.name && JSON.stringify(r.args) === JSON.stringify(call.args));
  if (done === undefined) return { toolCalls: [call] };
  const r = parse(done) as { content?: { text?: string }[]; error?: { code?: string } };
  if (r.error !== undefined) return { text: `${done.name} was refused: ${r.error.code ?? "unknown error"}` };
  return { text: (r.content ?? []).map((p) => p.text ?? "").join("\n") };
}
