/**
 * A spec's type says what the runtime does (docs/adr/0079): a spec written `as const` (read-only
 * lists) is a valid input, and a parsed spec — `ctx.spec`, frozen through and through — is read-only
 * in its type too, so editing it is a compile error before it is a TypeError. The `@ts-expect-error`
 * lines are checked by the type-check (`npm run typecheck`), the rest here.
 */
import { describe, expect, it } from "vitest";
import { boot, type AgentSpec } from "../../src/index.js";

describe("spec types", () => {
  it("take a spec written `as const` and type a parsed spec read-only", async () => {
    const os = await boot({ stack: "bare" });
    let seen: AgentSpec | undefined;
    const spec = {
      name: "typed",
      kind: "code",
      capabilities: ["agent:*#send"],
      tools: [],
      logic: { init: (ctx: { spec: AgentSpec }) => ((seen = ctx.spec), null), receive: (s: null) => s },
    } as const;
    await os.spawn(spec);
    const parsed = seen as AgentSpec;
    expect(parsed.capabilities).toEqual(["agent:*#send"]);
    // @ts-expect-error a parsed spec's lists are read-only
    expect(() => parsed.capabilities.push("file:/**#write")).toThrow(TypeError); // eslint-disable-line @typescript-eslint/no-unsafe-return, @typescript-eslint/no-unsafe-call -- the call the type refuses
    // @ts-expect-error and so are its fields
    expect(() => (parsed.tenant = "globex")).toThrow(TypeError);
    // Spawning the parsed spec again is allowed (it is an input as it is).
    expect(await os.spawn({ ...parsed, name: "again" })).toMatch(/^ag_/);
    await os.shutdown();
  });
});
