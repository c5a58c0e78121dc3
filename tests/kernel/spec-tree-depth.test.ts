/**
 * A spec tree too deep to check, from the caller's side. A supervisor tree thousands of levels deep
 * (or a cyclic one, a child holding its own parent) overflowed the stack in the schema's recursive
 * check: `os.spawn` rejected with a bare RangeError (no code), `AgentSpawn` with E_TOOL "Maximum
 * call stack size exceeded". A tree may now have MAX_TREE_DEPTH levels; a deeper one is
 * E_INVALID_SPEC naming `children`, by every route, and the deepest level it may have is frozen
 * through like the rest (docs/adr/0079).
 */
import { describe, expect, it } from "vitest";
import { boot, type AgentSpec } from "../../src/index.js";
import { MAX_TREE_DEPTH } from "../../src/abi/spec-check.js";

type Node = Record<string, unknown>;

/** A chain of supervisors `levels` deep in all, ending in one code agent. */
function chain(levels: number, leaf: Node): Node {
  let spec = leaf;
  for (let i = 1; i < levels; i++) spec = { name: `s${i}`, kind: "supervisor", children: [spec] };
  return spec;
}

const refusal = (p: Promise<unknown>): Promise<string> => p.then(() => "spawned", (e: unknown) => `${(e as { code?: string }).code}: ${(e as Error).message}`);
const TOO_DEEP = `E_INVALID_SPEC: <spec>: children: supervisors nest more than ${MAX_TREE_DEPTH} levels deep`;

describe("a spec tree deeper than the limit", () => {
  it("is E_INVALID_SPEC by os.spawn and by AgentSpawn, a cycle included, and nothing is spawned", async () => {
    const os = await boot({ stack: "bare" });
    const leaf = { name: "leaf", kind: "code", logic: { receive: (s: unknown) => s } };
    const cyclic: Node = { name: "loop", kind: "supervisor", children: [] };
    (cyclic["children"] as Node[]).push(cyclic);
    for (const spec of [chain(5_000, leaf), chain(MAX_TREE_DEPTH + 1, leaf), cyclic]) {
      expect(await refusal(os.spawn(spec as never))).toBe(TOO_DEEP);
    }
    const a = await os.spawn({ name: "a", kind: "code", capabilities: ["agent#spawn"], logic: { receive: (s: unknown) => s } });
    for (const spec of [chain(5_000, leaf), cyclic]) {
      expect(await refusal(os.syscall(a, "AgentSpawn", { spec: spec as never }))).toBe(TOO_DEEP.replace("<spec>", "AgentSpawn.spec"));
    }
    expect(os.ps().map((p) => p.name)).toEqual(["a"]);
    await os.shutdown();
  });

  it("is taken at the limit, frozen down to its deepest level", async () => {
    const os = await boot({ stack: "bare" });
    let seen: AgentSpec | undefined;
    const leaf = {
      name: "leaf", kind: "code", capabilities: ["agent:*#send"], budget: { tokens: 5 },
      a2a: { description: "leaf", skills: [{ id: "x", name: "x", description: "x", tags: ["t"] }] },
      logic: { init: (ctx: { spec: AgentSpec }) => ((seen = ctx.spec), null), receive: (s: null) => s },
    };
    await os.spawn(chain(MAX_TREE_DEPTH, leaf) as never);
    expect(os.ps()).toHaveLength(MAX_TREE_DEPTH);
    const spec = seen as AgentSpec;
    expect(spec.name).toBe("leaf");
    const skill = (spec.a2a as unknown as { skills: { tags: string[] }[] }).skills[0];
    for (const v of [spec, spec.capabilities, spec.budget, spec.a2a, skill, skill?.tags]) expect(Object.isFrozen(v)).toBe(true);
    await os.shutdown();
  });
});
