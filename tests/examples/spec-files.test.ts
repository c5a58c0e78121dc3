/**
 * What the example specs rely on besides the examples themselves: a spec file's relative `file:`
 * capabilities resolve against the file's directory (like `module`), a spec object's do not, and
 * the memory tools an LLM spec names need the memory subsystem (E_INVALID_SPEC at spawn otherwise).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadSpecFile, parseSpec } from "../../src/abi/index.js";
import { boot, silentLogger } from "../../src/index.js";
import { ReplayProvider } from "../../src/models/index.js";

describe("spec files", () => {
  it("resolve relative file: capabilities against the spec file's directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-spec-"));
    const file = join(dir, "specs", "a.yaml");
    mkdirSync(join(dir, "specs"));
    writeFileSync(file, [
      "name: a", "kind: code", "module: ./a.ts",
      'capabilities: ["file:../fixtures/repo/**#read", "file:./out/#write", "file:/abs/**#read", "file:..#read", "shell#exec", "file:/data/*:read"]',
    ].join("\n"));
    const spec = await loadSpecFile(file);
    expect(spec.capabilities).toEqual([`file:${dir}/fixtures/repo/**#read`, `file:${dir}/specs/out/#write`, "file:/abs/**#read", `file:${dir}#read`, "shell#exec", "file:/data/*#read"]);
    expect(spec.module).toBe(join(dir, "specs", "a.ts"));
    // A spec object has no directory: its relative path stays as written (and matches nothing).
    expect(parseSpec({ name: "b", kind: "code", logic: "x", capabilities: ["file:./x/**#read"] }).capabilities).toEqual(["file:./x/**#read"]);
  });

  it("refuse memory tools at spawn when the kernel has no memory", async () => {
    const scripted = new ReplayProvider({ name: "m", turns: [{ text: "ok" }] });
    const os = await boot({ logger: silentLogger, subsystems: { memory: false, embedder: false, models: { models: {}, providers: { m: scripted } } } });
    try {
      await expect(os.spawn({ name: "r", kind: "llm", model: "m", tools: ["memory.search"] })).rejects.toMatchObject({
        code: "E_INVALID_SPEC",
        message: expect.stringContaining('tools: "memory.search" needs the memory subsystem'),
      });
    } finally {
      await os.shutdown("test");
    }
  });
});
