/**
 * The sandboxed tier: tools users register as JavaScript source, run in QuickJS (compiled to
 * WebAssembly, quickjs-emscripten). The script defines `function run(args, host)` and returns a
 * JSON-serialisable value. Invariants:
 * - a fresh runtime and context per call (no state leaks between calls or agents), disposed after;
 * - each call gets its own QuickJS runtime and context on a WebAssembly instance whose linear memory
 *   is at its initial size: an instance is reused only if the previous call never grew its memory,
 *   otherwise it is dropped and a fresh one instantiated (the compiled module is shared). So a call
 *   can use at most the initial memory plus its limit, whatever ran before it. Memory is capped by watching that
 *   memory's growth from the interrupt handler: QuickJS's own setMemoryLimit under Emscripten counts
 *   8 bytes per allocation (malloc_usable_size is unavailable there; quickjs-emscripten issues
 *   #206/#271), so it only bounds single allocations — it is kept for that. The cap is enforced at
 *   WebAssembly page-growth granularity, so a script may overshoot it by up to one growth step;
 * - time is capped by the same interrupt handler with a deadline in real time — it bounds
 *   synchronous CPU work, which no simulated clock can; the stack is capped at <= 256 KiB (deeper
 *   limits overflow the host's own stack before QuickJS notices);
 * - the only host access is `host.<name>(value)`, the synchronous functions the registrant passes
 *   in; values cross as JSON, never as live host objects. There is no require, process, fetch,
 *   timers or file system in the context.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { QuickJSContext, QuickJSHandle, QuickJSSyncVariant, QuickJSWASMModule } from "quickjs-emscripten";
import { z } from "zod";
import { AiosError } from "../core/index.js";
import type { CapabilityRequest } from "./kernel-seam.js";
import { defineTool, eraseTool, type AnyTool, type ToolContext } from "./tool.js";

export type HostFunction = (value: unknown, ctx: ToolContext) => unknown;

export interface ScriptToolDefinition {
  readonly name: string;
  readonly description?: string;
  /** JSON Schema for the input (converted with zod's fromJSONSchema) or a zod schema. */
  readonly inputSchema?: Record<string, unknown> | z.ZodType;
  readonly source: string;
  readonly memoryLimitBytes?: number;
  readonly stackLimitBytes?: number;
  readonly timeoutMs?: number;
  readonly host?: Readonly<Record<string, HostFunction>>;
  readonly sideEffect?: boolean;
  /** Capabilities a call needs beyond `tool:<name>#call` (e.g. what its host functions reach). */
  readonly requires?: readonly CapabilityRequest[];
}

let variant: Promise<QuickJSSyncVariant> | undefined;

/** An idle instance whose memory never grew, if any (see the header). */
let idle: { qjs: QuickJSWASMModule; size: number } | undefined;

async function acquireModule(): Promise<{ qjs: QuickJSWASMModule; size: number }> {
  const reuse = idle;
  idle = undefined;
  if (reuse !== undefined) return reuse;
  const qjs = await freshModule();
  return { qjs, size: wasmBytes(qjs) };
}

function releaseModule(m: { qjs: QuickJSWASMModule; size: number }): void {
  if (wasmBytes(m.qjs) === m.size) idle = m;
}

function wasmBytes(qjs: QuickJSWASMModule): number {
  // Only byteLength is read; typed structurally because this tsconfig's lib has no DOM/wasm types.
  return (qjs.getWasmMemory() as unknown as { readonly buffer: { readonly byteLength: number } }).buffer.byteLength;
}

/** A new instance; the wasm is compiled once (falls back to the stock variant's loader). */
async function freshModule(): Promise<QuickJSWASMModule> {
  // quickjs-emscripten is imported on the first script call: a boot that runs none does not load it.
  const { newQuickJSWASMModule, newVariant, RELEASE_SYNC } = await import("quickjs-emscripten");
  variant ??= (async () => {
    try {
      const path = createRequire(import.meta.url).resolve("@jitl/quickjs-wasmfile-release-sync/wasm");
      // The WebAssembly global is there at run time; this tsconfig's lib (no DOM) only types it.
      type WasmModule = NonNullable<Parameters<typeof newVariant>[1]["wasmModule"]>;
      const wasm = (globalThis as { WebAssembly?: { compile(bytes: Uint8Array): Promise<WasmModule> } }).WebAssembly;
      if (wasm === undefined) return RELEASE_SYNC;
      const wasmModule = await wasm.compile(readFileSync(path));
      return newVariant(RELEASE_SYNC, { wasmModule });
    } catch {
      return RELEASE_SYNC;
    }
  })();
  return newQuickJSWASMModule(await variant);
}

const MAX_STACK = 256 << 10;

const HOST_NAME_RE = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function scriptTool(def: ScriptToolDefinition): AnyTool {
  const input: z.ZodType =
    def.inputSchema === undefined ? z.unknown() : def.inputSchema instanceof z.ZodType ? def.inputSchema : fromJsonSchema(def.inputSchema);
  for (const name of Object.keys(def.host ?? {})) {
    if (!HOST_NAME_RE.test(name)) throw new AiosError("E_INVALID_ARG", `host.${name}: not a valid identifier`, { details: { path: `host.${name}` } });
  }
  return eraseTool(
    defineTool({
      name: def.name,
      description: def.description ?? `user script ${def.name}`,
      input,
      sideEffect: def.sideEffect ?? false,
      requires: () => def.requires ?? [],
      async execute(args, ctx) {
        const m = await acquireModule();
        let healthy = false;
        try {
          const out = runScript(m.qjs, def, args, ctx);
          healthy = true;
          return out;
        } catch (e) {
          // A script's own exception leaves the instance sound; a wasm trap or a limit hit does not count.
          healthy = e instanceof AiosError && e.code === "E_TOOL";
          throw e;
        } finally {
          if (healthy) releaseModule(m);
        }
      },
    }),
  );
}

function fromJsonSchema(schema: Record<string, unknown>): z.ZodType {
  try {
    return z.fromJSONSchema(schema);
  } catch (e) {
    throw new AiosError("E_INVALID_ARG", `inputSchema: not a supported JSON Schema: ${(e as Error).message}`, { cause: e, details: { path: "inputSchema" } });
  }
}

function runScript(qjs: QuickJSWASMModule, def: ScriptToolDefinition, args: unknown, ctx: ToolContext): unknown {
  const timeoutMs = def.timeoutMs ?? 1000;
  const memoryLimit = def.memoryLimitBytes ?? 32 << 20;
  const baseline = wasmBytes(qjs);
  const rt = qjs.newRuntime();
  rt.setMemoryLimit(memoryLimit);
  rt.setMaxStackSize(Math.min(def.stackLimitBytes ?? 128 << 10, MAX_STACK));
  const deadline = performance.now() + timeoutMs;
  let interrupted: "time" | "memory" | undefined;
  rt.setInterruptHandler(() => {
    if (wasmBytes(qjs) - baseline > memoryLimit) interrupted = "memory";
    else if (performance.now() > deadline) interrupted = "time";
    return interrupted !== undefined;
  });
  const vm = rt.newContext();
  try {
    const hostObj = vm.newObject();
    for (const [name, fn] of Object.entries(def.host ?? {})) {
      const f = vm.newFunction(name, (h: QuickJSHandle) => hostCall(vm, name, fn, h, ctx));
      vm.setProp(hostObj, name, f);
      f.dispose();
    }
    vm.setProp(vm.global, "__host", hostObj);
    hostObj.dispose();
    const argJson = vm.newString(JSON.stringify(args ?? null));
    vm.setProp(vm.global, "__args", argJson);
    argJson.dispose();
    const program = `${def.source}
;(() => {
  const host = {};
  for (const k of Object.keys(__host)) host[k] = (v) => { const r = __host[k](JSON.stringify(v === undefined ? null : v)); return r === undefined ? undefined : JSON.parse(r); };
  if (typeof run !== "function") throw new TypeError("the script must define function run(args, host)");
  const out = run(JSON.parse(__args), host);
  return JSON.stringify(out === undefined ? null : out);
})()`;
    const result = vm.evalCode(program, `${def.name}.js`);
    if (result.error !== undefined) {
      const err: unknown = vm.dump(result.error);
      result.error.dispose();
      throw scriptError(def.name, err, interrupted, timeoutMs);
    }
    const text: unknown = vm.dump(result.value);
    result.value.dispose();
    return typeof text === "string" ? (JSON.parse(text) as unknown) : null;
  } finally {
    vm.dispose();
    rt.dispose();
  }
}

function hostCall(vm: QuickJSContext, name: string, fn: HostFunction, h: QuickJSHandle, ctx: ToolContext): QuickJSHandle | { error: QuickJSHandle } {
  try {
    const raw: unknown = vm.dump(h);
    const value: unknown = typeof raw === "string" ? JSON.parse(raw) : null;
    const out = fn(value, ctx);
    if (out instanceof Promise) throw new AiosError("E_TOOL", `host.${name} returned a promise; host functions must be synchronous`);
    return out === undefined ? vm.undefined : vm.newString(JSON.stringify(out));
  } catch (e) {
    return { error: vm.newError(`host.${name}: ${(e as Error).message}`) };
  }
}

function scriptError(name: string, err: unknown, interrupted: "time" | "memory" | undefined, timeoutMs: number): AiosError {
  const e = (typeof err === "object" && err !== null ? err : { message: String(err) }) as { name?: string; message?: string };
  const message = e.message ?? "unknown error";
  if (interrupted === "memory") return new AiosError("E_SANDBOX", `script ${name} exceeded its memory limit`, { details: { error: message } });
  if (interrupted === "time") return new AiosError("E_TIMEOUT", `script ${name} exceeded its ${timeoutMs} ms time limit`, { details: { timeoutMs } });
  if (/out of memory/i.test(message)) return new AiosError("E_SANDBOX", `script ${name} exceeded its memory limit`, { details: { error: message } });
  if (/stack overflow/i.test(message)) return new AiosError("E_SANDBOX", `script ${name} exceeded its stack limit`, { details: { error: message } });
  return new AiosError("E_TOOL", `script ${name} threw ${e.name ?? "Error"}: ${message}`, { details: { error: message } });
}
