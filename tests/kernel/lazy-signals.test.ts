/**
 * An agent's abort signal is made when a call first reads it (ADR 0077), and a call that reads it
 * late still sees every cancellation made since the call began: the agent's end, a pause.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { boot, isAiosError, zodArgs, type Aios, type AgentLogic, type SyscallDef } from "../../src/index.js";
import { ReplayProvider, type ChatOptions, type ChatRequest, type ChatResult, type LlmAnswer, type ModelProvider } from "../../src/models/index.js";
import { defineTool } from "../../src/tools/index.js";
import { bootSim, settle } from "./helpers.js";

declare module "../../src/abi/syscalls.js" {
  interface SyscallMap {
    TestLateSignal: { args: { tag: string }; result: string };
  }
}

/** A gate per tag: the handler waits on it, then reads its call's signal (only then) into `seen`. */
function lateSignalCall(gates: Map<string, () => void>, seen: Map<string, AbortSignal>): SyscallDef<"TestLateSignal"> {
  return {
    name: "TestLateSignal",
    parse: zodArgs("TestLateSignal", z.object({ tag: z.string() })),
    requires: () => [],
    sideEffect: false,
    handler: async ({ tag }, call) => {
      if (tag !== "quick") await new Promise<void>((open) => gates.set(tag, open));
      seen.set(tag, call.signal);
      return tag;
    },
  };
}

const idle: AgentLogic<null> = { receive: (s) => s };

/** A simulated kernel with TestLateSignal registered and one idle agent `a`. */
async function withLateSignals(): Promise<{ os: Aios; gates: Map<string, () => void>; seen: Map<string, AbortSignal>; a: string }> {
  const { os } = await bootSim();
  const gates = new Map<string, () => void>();
  const seen = new Map<string, AbortSignal>();
  os.kernel.syscalls.register(lateSignalCall(gates, seen));
  const a = await os.spawn({ name: "a", kind: "code", logic: idle });
  return { os, gates, seen, a };
}

/** Waits (microtasks, then timer turns: the default stack's work crosses both) until `cond`. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 20 && !cond(); i++) await settle();
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

describe("an agent's signal, made when a call first reads it", () => {
  it("a call that never reads it makes none; one that reads it after its agent ended gets it already aborted", async () => {
    const { os, gates, seen, a } = await withLateSignals();
    // The quick call reads its signal in its handler: one is made for the agent then.
    const b = await os.spawn({ name: "b", kind: "code", logic: idle });
    expect(await os.syscall(b, "TestLateSignal", { tag: "quick" })).toBe("quick");
    expect(os.kernel.get(b).abort).not.toBeNull();
    // The slow call has not read it yet: the agent has none while it waits.
    const pending = os.syscall(a, "TestLateSignal", { tag: "slow" });
    await until(() => gates.has("slow"));
    expect(os.kernel.get(a).abort).toBeNull();
    await os.kill(a, "operator said so");
    gates.get("slow")?.();
    expect(await pending).toBe("slow");
    const late = seen.get("slow");
    expect(late?.aborted).toBe(true);
    expect(isAiosError(late?.reason, "E_CANCELLED")).toBe(true);
    await os.shutdown();
  });

  it("a call begun before a pause and reading its signal after the resume sees the pause; a call begun after gets a live one", async () => {
    const { os, gates, seen, a } = await withLateSignals();
    for (const readBefore of [false, true]) {
      const before = `before-${String(readBefore)}`;
      const pending = os.syscall(a, "TestLateSignal", { tag: before });
      await until(() => gates.has(before));
      // With and without a signal made before the pause (here by a call that read its own).
      if (readBefore) await os.syscall(a, "TestLateSignal", { tag: "quick" });
      await os.pause(a);
      await os.resume(a);
      const after = `after-${String(readBefore)}`;
      const next = os.syscall(a, "TestLateSignal", { tag: after });
      await until(() => gates.has(after));
      gates.get(before)?.();
      gates.get(after)?.();
      await Promise.all([pending, next]);
      const paused = seen.get(before);
      expect(paused?.aborted).toBe(true);
      expect((paused?.reason as Error).message).toBe(`agent ${a} was paused`);
      expect(seen.get(after)?.aborted).toBe(false);
    }
    await os.kill(a);
    expect(seen.get("after-true")?.aborted).toBe(true);
    await os.shutdown();
  });
});

describe("on the default stack", () => {
  let os: Aios | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await os?.shutdown();
    os = undefined;
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("an LLM agent whose model and tool never read the signal makes none; a tool and a provider that read it after a kill see it aborted", async () => {
    dir = mkdtempSync(join(tmpdir(), "aios-lazy-signal-"));
    const gates = new Map<string, () => void>();
    const seen = new Map<string, AbortSignal>();
    /** Answers "wait" with a call of the slow tool, "model" by waiting itself, anything else at once. */
    const lastText = (req: ChatRequest): string => {
      const m = req.messages.findLast((x) => x.role === "user");
      return typeof m?.content === "string" ? m.content : "";
    };
    const scripted = new ReplayProvider({
      name: "scripted",
      respond: (req) => (lastText(req) === "wait" && !req.messages.some((x) => x.role === "tool") ? { toolCalls: [{ name: "slow", args: {} }] } : { text: "ok" }),
    });
    const slowModel: ModelProvider = {
      name: "slow-model",
      async chat(req: ChatRequest, opts: ChatOptions = {}): Promise<ChatResult> {
        await new Promise<void>((open) => gates.set("model", open));
        if (opts.signal !== undefined) seen.set("model", opts.signal);
        return scripted.chat(req, opts);
      },
      async *stream() {
        throw new Error("not used");
      },
    };
    os = await boot({ dataDir: dir, subsystems: { models: { models: {}, providers: { scripted, slow: slowModel } } } });
    os.tools.register(defineTool({
      name: "slow", description: "waits, then reads its signal", input: z.object({}), sideEffect: false, requires: () => [],
      execute: async (_args, ctx) => {
        await new Promise<void>((open) => gates.set("tool", open));
        seen.set("tool", ctx.signal);
        return "done";
      },
    }));
    const caps = ["tool:slow#call", "llm:*#invoke"];
    const quiet = await os.spawn({ name: "quiet", kind: "llm", model: "scripted", tools: ["slow"], capabilities: caps });
    expect(((await os.request(quiet, "hello")) as LlmAnswer).text).toBe("ok");
    expect(os.kernel.get(quiet).abort).toBeNull();
    // A tool that reads ctx.signal once its agent was killed.
    const tooled = await os.spawn({ name: "tooled", kind: "llm", model: "scripted", tools: ["slow"], capabilities: caps });
    const asked = os.request(tooled, "wait").catch((e: unknown) => e);
    await until(() => gates.has("tool"));
    expect(os.kernel.get(tooled).abort).toBeNull();
    await os.kill(tooled, "operator said so");
    gates.get("tool")?.();
    expect(isAiosError(await asked, "E_AGENT_STOPPED") || isAiosError(await asked, "E_CANCELLED")).toBe(true);
    await until(() => seen.has("tool"));
    expect(seen.get("tool")?.aborted).toBe(true);
    // A provider that reads opts.signal once its agent was killed.
    const modelled = await os.spawn({ name: "modelled", kind: "llm", model: "slow", capabilities: caps });
    const told = os.request(modelled, "hi").catch((e: unknown) => e);
    await until(() => gates.has("model"));
    expect(os.kernel.get(modelled).abort).toBeNull();
    await os.kill(modelled, "operator said so");
    gates.get("model")?.();
    await told;
    await until(() => seen.has("model"));
    expect(seen.get("model")?.aborted).toBe(true);
  });
});
