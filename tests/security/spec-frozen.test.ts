/**
 * A parsed spec is what its agent is granted, and nothing that holds it can edit it: an agent reading
 * `ctx.spec` once pushed `file:/**#write` into its own capability list and then wrote a file outside
 * any grant (the checker compiles a spec's list at its first check). Every list and object of a parsed
 * spec is frozen; what the spec keeps by reference to its author's objects (logic, args) is not.
 * (In-process code is the operator's and can reach the process anyway; the agents the kernel keeps
 * apart run isolated and see a copy. This keeps the spec what was checked for every holder.)
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boot, isAiosError, silentLogger, type AgentContext, type Aios } from "../../src/index.js";

let os: Aios;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aios-spec-frozen-"));
  os = await boot({ dataDir: dir, logger: silentLogger, subsystems: { embedder: false, memory: false, mcp: false } });
});
afterAll(async () => {
  await os.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe("a parsed spec cannot be edited by what holds it", () => {
  it("an agent pushing a capability into ctx.spec is refused, and its write outside any grant with it", async () => {
    const target = join(dir, "outside.txt");
    const args = { note: "kept by reference" };
    const id = await os.spawn({
      name: "editor", kind: "code", ephemeral: true, args, capabilities: ["agent#spawn", "tool:file.write#call"], budget: { tokens: 10 },
      logic: {
        init: () => null,
        receive: async (s: null, _m: unknown, ctx: AgentContext) => {
          const tried: string[] = [];
          const edit = (name: string, f: () => void): void => {
            try {
              f();
              tried.push(`${name}: done`);
            } catch (e) {
              tried.push(`${name}: ${(e as Error).constructor.name}`);
            }
          };
          // The types say read-only too; an agent casting that away meets the frozen object.
          const caps = ctx.spec.capabilities as string[];
          edit("push", () => caps.push("file:/**#write"));
          edit("replace", () => (caps[0] = "file:/**#write"));
          edit("budget", () => ((ctx.spec.budget as { tokens: number }).tokens = 1e9));
          edit("tenant", () => ((ctx.spec as { tenant: string }).tenant = "globex"));
          const write = await ctx.sys.ToolCall({ tool: "file.write", args: { path: target, content: "x" } }).then(() => "written", (e: unknown) => (isAiosError(e) ? e.code : String(e)));
          ctx.reply({ tried, write, caps: [...ctx.spec.capabilities], tenant: ctx.spec.tenant, budget: ctx.spec.budget });
          return s;
        },
      },
    });
    const out = (await os.request(id, "go")) as { tried: string[]; write: string; caps: string[]; tenant: string; budget: unknown };
    expect(out.tried).toEqual(["push: TypeError", "replace: TypeError", "budget: TypeError", "tenant: TypeError"]);
    expect(out.write).toBe("E_CAP_DENIED");
    expect(existsSync(target)).toBe(false);
    expect(out.caps).toEqual(["agent#spawn", "tool:file.write#call"]);
    expect(out.tenant).toBe("default");
    expect(out.budget).toEqual({ tokens: 10 });
    // What the spec keeps by reference to its author's objects stays the author's, unfrozen.
    expect(Object.isFrozen(args)).toBe(false);
    expect(os.kernel.get(id).spec.args).toBe(args);
    await os.kill(id);
  });

  it("a supervisor's child specs are frozen too", async () => {
    const sup = await os.spawn({ name: "sup", kind: "supervisor", children: [{ name: "kid", kind: "code", logic: { receive: (s: unknown) => s }, capabilities: ["agent#spawn"] }] });
    const spec = os.kernel.get(sup).spec;
    const kid = spec.children?.[0];
    expect(Object.isFrozen(spec.children)).toBe(true);
    expect(Object.isFrozen(kid)).toBe(true);
    expect(Object.isFrozen(kid?.capabilities)).toBe(true);
    await os.kill(sup);
  });
});
