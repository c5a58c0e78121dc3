/**
 * `aios mem` and `aios secrets` with no daemon: each command boots a kernel in this process on the
 * data dir (and says so), drained when the command ends, so what one command stored the next one
 * finds; a secret is set from stdin in process too.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, CLI, type CliResult } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "aios-os-inproc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function piped(args: readonly string[], input: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [...CLI, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.once("close", (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(input);
  });
}

describe("aios mem and secrets without a daemon", () => {
  it("boot a kernel in process on the data dir, and the next command finds what the last stored", async () => {
    const g = ["--data-dir", join(dir, "data"), "--json"];
    const put = await cli([...g, "mem", "put", "semantic_fact", JSON.stringify({ subject: "aios", predicate: "is written in", object: "TypeScript" })]);
    expect(put.stderr).toContain("no daemon for");
    expect(put.stderr).toContain("running in-process");
    expect(put.code).toBe(0);
    const { id } = JSON.parse(put.stdout) as { id: string };
    const set = await piped([...g, "secrets", "set", "API_KEY"], "k3y-value");
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toEqual({ name: "API_KEY" });
    // One at a time: two kernels never share a data dir (the second would be refused the lock).
    const got = await cli([...g, "mem", "get", id]);
    expect(got.code).toBe(0);
    expect((JSON.parse(got.stdout) as { content: unknown }).content).toEqual({ subject: "aios", predicate: "is written in", object: "TypeScript" });
  }, 60_000);
});
