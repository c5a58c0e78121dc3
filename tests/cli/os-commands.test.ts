/**
 * `aios mem`, `aios tools` and `aios secrets` as a user runs them (child processes, --json) against
 * a real daemon on loopback: a record stored, found by hybrid search, read, versioned and linked;
 * the tool catalogue and a tool call through the door; a secret set from stdin (never argv), listed
 * by name only and removed. os-commands-inprocess.test.ts runs them without a daemon.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, CLI, runNode, useDaemon, type CliResult } from "./helpers.js";

const fx = useDaemon("aios-os-");

/** The CLI with `input` on its stdin (a pipe, as in `printf %s "$X" | aios secrets set X`). */
function piped(args: readonly string[], input: string): Promise<CliResult> {
  return runNode([...CLI, ...args], {}, input);
}

const doc = <T>(r: CliResult): T => {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

describe("aios mem, tools and secrets", () => {
  it("work on the daemon", async () => {
    const g = ["--data-dir", fx.data, "--json"];
    const file = join(fx.dir, "note.txt");
    writeFileSync(file, "hello from a file\n");
    const [a, b, tools, describe_, secret, secretsHelp] = await Promise.all([
      cli([...g, "mem", "put", "observation", "the build on main is green again", "--tags", "ci,build"]),
      cli([...g, "mem", "put", "semantic_fact", JSON.stringify({ subject: "aios", predicate: "is written in", object: "TypeScript" })]),
      cli([...g, "tools", "ls"]),
      cli([...g, "tools", "describe", "file.read"]),
      piped([...g, "secrets", "set", "GITHUB_TOKEN"], "ghp_s3cret-value\n"),
      cli(["secrets", "set", "--help"]),
    ]);
    const ra = doc<{ id: string; version: string }>(a);
    const rb = doc<{ id: string }>(b);
    expect(ra.id).not.toBe(rb.id);
    expect(doc<{ tools: { name: string }[] }>(tools).tools.map((t) => t.name)).toContain("file.read");
    expect(doc<{ name: string; inputSchema: { properties: Record<string, unknown> } }>(describe_).inputSchema.properties).toHaveProperty("path");
    expect(doc<{ name: string }>(secret)).toEqual({ name: "GITHUB_TOKEN" });
    expect(secretsHelp.stdout).toMatch(/never from argv, which `ps` shows to everyone/);

    const [hits, got, link, call, names, empty, badType] = await Promise.all([
      cli([...g, "mem", "query", "is the build green", "-k", "3"]),
      cli([...g, "mem", "get", ra.id]),
      cli([...g, "mem", "link", ra.id, rb.id, "mentions"]),
      cli([...g, "tools", "call", "file.read", JSON.stringify({ path: file })]),
      cli([...g, "secrets", "ls"]),
      piped([...g, "secrets", "set", "EMPTY"], ""),
      cli([...g, "mem", "put", "semantic_fact", "not a fact"]),
    ]);
    const top = doc<{ hits: { id: string; score: number }[] }>(hits).hits[0];
    expect(top?.id).toBe(ra.id);
    expect(doc<{ content: unknown; tags: string[] }>(got)).toMatchObject({ content: { text: "the build on main is green again" }, tags: ["build", "ci"] });
    expect(doc<{ created: boolean }>(link)).toEqual({ created: true });
    // The operator holds no file grant by default: the call went through the door and was refused, or read the file.
    if (call.code === 0) expect(JSON.stringify(doc<{ result: unknown }>(call).result)).toContain("hello from a file");
    else expect(JSON.parse(call.stdout)).toMatchObject({ error: { code: "E_CAP_DENIED" } });
    expect(doc<{ names: string[] }>(names).names).toEqual(["GITHUB_TOKEN"]);
    expect(names.stdout).not.toContain("s3cret");
    expect(empty.code).toBe(2);
    expect(JSON.parse(empty.stdout)).toMatchObject({ error: { code: "E_INVALID_ARG", message: expect.stringContaining("value: empty") as unknown } });
    expect(badType.code).toBe(2);
    expect(JSON.parse(badType.stdout)).toMatchObject({ error: { code: "E_INVALID_ARG" } });

    const [history, rm] = await Promise.all([cli([...g, "mem", "history", ra.id]), cli([...g, "secrets", "rm", "GITHUB_TOKEN"])]);
    expect(doc<{ versions: { op: string }[]; heads: string[] }>(history).heads).toEqual([ra.version]);
    expect(doc<{ deleted: boolean }>(rm)).toMatchObject({ name: "GITHUB_TOKEN", deleted: true });
  }, 60_000);
});
