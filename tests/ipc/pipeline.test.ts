import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parsePipeline, pipeline } from "../../src/ipc/index.js";
import type { AgentLogic } from "../../src/index.js";
import { bootIpc, codeOf } from "./helpers.js";

/** Answers each request with f(payload). */
function stage(f: (x: never) => unknown): AgentLogic<null> {
  return { init: () => null, receive: (s, m, ctx) => (ctx.reply(f((m as { payload: never }).payload)), s) };
}

async function setup() {
  const { os, plugin } = await bootIpc();
  const ipc = plugin.ipc;
  ipc.schemas.register("text.v1", z.string());
  ipc.schemas.register("words.v1", z.array(z.string()));
  ipc.schemas.register("count.v1", z.number().int());
  const split = await os.spawn({ name: "split", kind: "code", logic: stage((s: string) => s.split(" ")) });
  const count = await os.spawn({ name: "count", kind: "code", logic: stage((w: string[]) => w.length) });
  const shout = await os.spawn({ name: "shout", kind: "code", logic: stage((s: string) => s.toUpperCase()) });
  await os.syscall(split, "AgentRegister", { skills: [], input: "text.v1", output: "words.v1" });
  await os.syscall(count, "AgentRegister", { skills: [], input: "words.v1", output: "count.v1" });
  await os.syscall(shout, "AgentRegister", { skills: [], input: "text.v1", output: "text.v1" });
  return { os, split, count, shout };
}

describe("pipelines", () => {
  it("parses the a |> b |> c syntax", () => {
    expect(parsePipeline(" a |> b|>c ")).toEqual(["a", "b", "c"]);
    expect(() => parsePipeline("a |> |> c")).toThrow(/not of the form/);
    expect(() => parsePipeline("a")).toThrow(/not of the form/);
  });

  it("feeds each stage's output to the next (by name or id)", async () => {
    const { os, count } = await setup();
    const p = pipeline(os, "shout |> split |> count");
    expect(p.stages.map((s) => s.name)).toEqual(["shout", "split", "count"]);
    expect(await p.run("to be or not to be")).toBe(6);
    expect(await pipeline(os, ["split", count]).run("a b")).toBe(2);
    await os.shutdown();
  });

  it("checks stage contracts when composed, not when run", async () => {
    const { os } = await setup();
    expect(() => pipeline(os, "count |> split")).toThrow(/stage 1 "count" outputs "count.v1" but stage 2 "split" expects "text.v1"/);
    const loose = await os.spawn({ name: "loose", kind: "code", logic: stage((x: string) => x) });
    expect(() => pipeline(os, "shout |> loose")).toThrow(/stage 2 "loose" declared no contract/);
    expect(() => pipeline(os, "shout |> ghost")).toThrow(/stage 2 "ghost": no live agent/);
    expect(await pipeline(os, ["shout", loose], { allowUntyped: true }).run("x")).toBe("X");
    expect(await codeOf(os.syscall(loose, "AgentRegister", { skills: [], input: "nope.v1" }))).toBe("E_INVALID_ARG");
    // A bad input fails at the first stage's send-side schema check, before any message moves.
    await expect(pipeline(os, "split |> count").run(42)).rejects.toMatchObject({ code: "E_INVALID_ARG" });
    await os.shutdown();
  });

  it("spec syntax: an ipc.pipeline agent composes at spawn and answers requests; a mismatch fails the spawn", async () => {
    const { os } = await setup();
    const p = await os.spawn({ name: "wc", kind: "code", logic: "ipc.pipeline", args: { pipeline: "split |> count" } });
    expect(await os.request(p, "one two three")).toBe(3);
    expect(await codeOf(os.spawn({ name: "bad", kind: "code", logic: "ipc.pipeline", args: { pipeline: "count |> split" } }))).toBe("E_AGENT_CRASHED");
    // Pipelines nest: wc declared text.v1 -> count.v1.
    expect(await pipeline(os, "shout |> wc").run("a b")).toBe(2);
    await os.shutdown();
  });
});
