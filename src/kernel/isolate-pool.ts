/**
 * Worker threads for isolated agents (docs/adr/0023): one thread per agent, so one agent's loop never
 * holds another's, and a kill is `worker.terminate()`. QuickJS's WebAssembly is compiled once per
 * kernel and handed to each thread (a compiled module crosses threads without recompiling), and one
 * booted thread is kept warm, so a spawn does not wait for a thread to start. Each thread's V8 heap is
 * capped with resourceLimits (the guest's own heap is capped inside, by the worker).
 *
 * The entry is isolate-worker.js next to this file when the code is built. From the TypeScript
 * sources (tsx, vitest: a development checkout, where esbuild is installed) the worker is bundled once
 * per process with esbuild and started from that text: a TypeScript loader in every thread would start
 * an esbuild process per agent.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { AiosError } from "../core/index.js";
import type { FromWorker, IsolateBoot, IsolateLimits } from "./isolate-protocol.js";

/** The worker's own V8 heap (its Node side: message handling and the QuickJS glue objects). */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8, stackSizeMb: 4 } as const;

interface Wasm {
  compile(bytes: Uint8Array): Promise<unknown>;
}

export class IsolatePool {
  private wasm: Promise<unknown> | undefined;
  private spare: Promise<Worker> | undefined;
  private closed = false;

  constructor(readonly limits: IsolateLimits) {}

  /** A booted thread for one agent (the warm one when there is one); a new one is warmed behind it. */
  async take(): Promise<Worker> {
    if (this.closed) throw new AiosError("E_SHUTDOWN", "the kernel is shutting down; no new isolated agents");
    const w = this.spare ?? this.boot();
    this.spare = undefined;
    const worker = await w;
    if (!this.closed) this.warm();
    return worker;
  }

  /** Ends the warm thread; agents' threads end with their agents. */
  async close(): Promise<void> {
    this.closed = true;
    const s = this.spare;
    this.spare = undefined;
    if (s !== undefined) await s.then((w) => w.terminate(), () => undefined);
  }

  private warm(): void {
    const s = this.boot();
    s.catch(() => undefined); // a failure is met by the take() that uses it
    this.spare = s;
  }

  private async boot(): Promise<Worker> {
    const wasm = await (this.wasm ??= compileQuickJs());
    const workerData: IsolateBoot = { wasm, limits: this.limits };
    const here = import.meta.url;
    const w = here.endsWith(".ts")
      ? new Worker(await (sourceBundle ??= bundleFromSource(new URL("./isolate-worker.ts", here))), { eval: true, workerData, resourceLimits: RESOURCE_LIMITS })
      : new Worker(new URL("./isolate-worker.js", here), { workerData, resourceLimits: RESOURCE_LIMITS });
    // A thread never keeps the process alive: the kernel's shutdown ends its agents and their threads.
    w.unref();
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: FromWorker): void => {
        if (m.t !== "done" || m.id !== 0) return;
        off();
        resolve();
      };
      const onError = (e: Error): void => {
        off();
        reject(new AiosError("E_SANDBOX", `an isolated agent's thread did not start: ${e.message}`, { cause: e }));
      };
      const onExit = (code: number): void => onError(new Error(`it exited with code ${code}`));
      const off = (): void => {
        w.off("message", onMessage);
        w.off("error", onError);
        w.off("exit", onExit);
      };
      w.on("message", onMessage);
      w.on("error", onError);
      w.on("exit", onExit);
    });
    return w;
  }
}

let sourceBundle: Promise<string> | undefined;

/** The worker and what it imports as one CommonJS text (sources only; see the header). */
async function bundleFromSource(entry: URL): Promise<string> {
  const esbuild = await import("esbuild");
  const out = await esbuild.build({
    entryPoints: [fileURLToPath(entry)], bundle: true, format: "cjs", platform: "node", target: "node20", write: false, logLevel: "error",
    // QuickJS's loader resolves its files from import.meta.url: the entry's own location, in node_modules' reach.
    define: { "import.meta.url": JSON.stringify(entry.href) },
  });
  const text = out.outputFiles[0]?.text;
  if (text === undefined) throw new AiosError("E_INTERNAL", "bundling the isolate worker produced nothing");
  return text;
}

async function compileQuickJs(): Promise<unknown> {
  const path = createRequire(import.meta.url).resolve("@jitl/quickjs-wasmfile-release-sync/wasm");
  // The WebAssembly global is there at run time; this tsconfig's lib (no DOM) does not type it.
  const wasm = (globalThis as { WebAssembly?: Wasm }).WebAssembly;
  if (wasm === undefined) throw new AiosError("E_CONFIG", "isolated agents need WebAssembly, which this Node.js lacks");
  return wasm.compile(readFileSync(path));
}
