import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AiosError, loadSpecFile, parseSpec } from "../../src/index.js";
import { bootSim, counter } from "./helpers.js";

function specError(f: () => unknown): AiosError {
  try {
    f();
  } catch (e) {
    if (e instanceof AiosError) return e;
    throw e;
  }
  throw new Error("expected an error");
}

describe("agent specs", () => {
  it("fills DESIGN's defaults", () => {
    const s = parseSpec({ name: "a", kind: "code", logic: "counter" });
    expect(s).toMatchObject({ restart: "permanent", priority: 0, weight: 1, tier: "meso", version: "1", tools: [], capabilities: [], ephemeral: false, tenant: "default" });
  });

  it("names the source, the field path and what was expected", () => {
    const e = specError(() => parseSpec({ name: "a", kind: "code", logic: "x", budget: { tokens: -5 } }, "agents/a.yaml"));
    expect(e.code).toBe("E_INVALID_SPEC");
    expect(e.message).toMatch(/^agents\/a\.yaml: budget\.tokens: /);
    expect(e.details["source"]).toBe("agents/a.yaml");
    const bad = specError(() => parseSpec({ name: "has space", kind: "robot", restart: "sometimes" }));
    const paths = (bad.details["issues"] as { path: string }[]).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["name", "kind", "restart"]));
  });

  it("refuses unknown fields, a code agent with no logic, an llm agent with no model", () => {
    expect(specError(() => parseSpec({ name: "a", kind: "code", logic: "x", colour: "red" })).message).toMatch(/colour/);
    expect(specError(() => parseSpec({ name: "a", kind: "code" })).message).toMatch(/logic: a code agent needs/);
    expect(specError(() => parseSpec({ name: "a", kind: "llm" })).message).toMatch(/model: an llm agent needs/);
    expect(specError(() => parseSpec({ name: "a", kind: "code", logic: "x", ephemeral: true, durable: true })).message).toMatch(/durable/);
    expect(specError(() => parseSpec(null)).code).toBe("E_INVALID_SPEC");
  });

  it("validates nested children with their path", () => {
    const e = specError(() => parseSpec({ name: "s", kind: "supervisor", children: [{ name: "ok", kind: "code", logic: "x" }, { name: "bad", kind: "code", logic: "x", weight: 0 }] }));
    expect(e.message).toMatch(/children\.1\.weight/);
  });

  it("loads YAML and JSON files and reports a broken one by file name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-spec-"));
    writeFileSync(join(dir, "a.yaml"), "name: worker\nkind: code\nmodule: ./logic.js\nrestart: transient\n");
    writeFileSync(join(dir, "b.json"), JSON.stringify({ name: "w2", kind: "code", logic: "counter", priority: 3 }));
    writeFileSync(join(dir, "c.yaml"), "name: [unclosed\n");
    writeFileSync(join(dir, "d.yaml"), "name: x\nkind: code\nlogic: y\npriority: high\n");
    const a = await loadSpecFile(join(dir, "a.yaml"));
    expect(a.module).toBe(join(dir, "logic.js"));
    expect((await loadSpecFile(join(dir, "b.json"))).priority).toBe(3);
    await expect(loadSpecFile(join(dir, "c.yaml"))).rejects.toThrow(/c\.yaml: not valid YAML/);
    await expect(loadSpecFile(join(dir, "d.yaml"))).rejects.toThrow(/d\.yaml: priority: /);
    await expect(loadSpecFile(join(dir, "missing.yaml"))).rejects.toThrow(/missing\.yaml: cannot read/);
  });

  it("creates nothing when a spec is rejected", async () => {
    const { os } = await bootSim();
    await expect(os.spawn({ name: "ok", kind: "supervisor", children: [{ name: "c1", kind: "code", logic: counter }, { name: "c2", kind: "code", logic: counter, tier: "giga" }] } as never)).rejects.toThrow(/children\.1\.tier/);
    await expect(os.spawn({ name: "x", kind: "code", logic: "not-registered" })).rejects.toThrow(/logic "not-registered" is not registered/);
    await expect(os.spawn({ name: "y", kind: "llm", model: "m" })).rejects.toThrow(/no runtime is installed for agents of kind "llm"/);
    expect(os.ps()).toEqual([]);
    await os.shutdown();
  });

  it("refuses a spawn with a rejected promise, never a throw, and leaves nothing of a failed start", async () => {
    const { os } = await bootSim();
    const failing = { init: () => { throw new Error("init broke"); }, receive: (s: unknown) => s };
    // Each call is made before anything is awaited: a synchronous throw would fail the test here.
    const refused = [os.spawn({ name: "bad name!", kind: "code", logic: counter }), os.spawn({ name: "f", kind: "code", logic: failing })];
    await expect(refused[0]).rejects.toThrow(/name/);
    await expect(refused[1]).rejects.toThrow(/init broke/);
    expect(os.ps().filter((a) => a.status !== "failed")).toEqual([]);
    const closing = os.shutdown();
    const late = os.spawn({ name: "late", kind: "code", logic: counter });
    await expect(late).rejects.toSatisfy((e) => e instanceof AiosError && e.code === "E_SHUTDOWN");
    await closing;
  });

  it("spawns code agents from a module path and from a registered logic name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-mod-"));
    writeFileSync(join(dir, "echo.mjs"), "export const echo = { receive(s, m, ctx) { ctx.reply(['echo', m]); return s; } };\n");
    // The module's directory is a configured root (docs/adr/0022); a temp dir is outside the default (cwd).
    const { os } = await bootSim({ logics: { counter }, moduleRoots: [dir] });
    const a = await os.spawn({ name: "m", kind: "code", module: join(dir, "echo.mjs"), export: "echo" });
    expect(await os.request(a, 7)).toEqual(["echo", 7]);
    const b = await os.spawn({ name: "n", kind: "code", logic: "counter" });
    expect(await os.request(b, 1)).toBe(1);
    await expect(os.spawn({ name: "z", kind: "code", module: join(dir, "echo.mjs"), export: "nope" })).rejects.toThrow(/no export "nope"/);
    await os.shutdown();
  });
});
