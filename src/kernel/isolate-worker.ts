/**
 * The worker thread that runs one isolated agent (docs/adr/0023). The agent's code runs in a QuickJS
 * context inside this thread — no `import`, `require`, `process`, timers or file system, only the
 * ctx the glue builds — so the thread's own Node authority never reaches it. Limits: the guest's heap
 * growth (watched from the interrupt handler, as the script tools do), its stack, and how long it may
 * run without yielding; hitting one is fatal for the session (the kernel then ends the worker and the
 * agent fails with the named error). The kernel may terminate this thread at any moment (kill): the
 * guest's loop runs here, never on the kernel's thread.
 *
 * One operation at a time: the kernel sends `load`, then `init`/`receive`, each answered by `done`;
 * while one runs, the guest's calls go out as `call` and come back as `result`.
 */
import { parentPort, workerData } from "node:worker_threads";
import { newQuickJSWASMModule, newVariant, RELEASE_SYNC, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime, type QuickJSWASMModule } from "quickjs-emscripten";
import { GUEST_GLUE } from "./isolate-guest.js";
import type { FromWorker, IsolateBoot, ToWorker, WireError } from "./isolate-protocol.js";

type WasmModule = NonNullable<Parameters<typeof newVariant>[1]["wasmModule"]>;

class Limit extends Error {
  constructor(readonly wire: WireError) {
    super(wire.message);
  }
}

class Session {
  private readonly rt: QuickJSRuntime;
  private readonly vm: QuickJSContext;
  private readonly baseline: number;
  private deadline = 0;
  private hit: WireError | undefined;
  /** The operation in flight: its id and the guest promise that answers it. */
  private op: { id: number; promise: QuickJSHandle } | undefined;

  constructor(
    private readonly qjs: QuickJSWASMModule,
    private readonly boot: IsolateBoot,
    private readonly post: (m: FromWorker) => void,
  ) {
    const { limits } = boot;
    this.baseline = wasmBytes(qjs);
    this.rt = qjs.newRuntime();
    this.rt.setMemoryLimit(limits.memoryBytes);
    this.rt.setMaxStackSize(Math.min(limits.stackBytes, 256 << 10));
    this.rt.setInterruptHandler(() => {
      if (this.hit !== undefined) return true;
      if (wasmBytes(this.qjs) - this.baseline > limits.memoryBytes) {
        this.hit = { code: "E_SANDBOX", message: `isolated agent exceeded its memory limit (${limits.memoryBytes} bytes)` };
      } else if (performance.now() > this.deadline) {
        this.hit = { code: "E_TIMEOUT", message: `isolated agent ran over ${limits.sliceMs} ms without yielding` };
      }
      return this.hit !== undefined;
    });
    this.vm = this.rt.newContext();
  }

  load(source: string, file: string, exportName: string, spec: string): void {
    const vm = this.vm;
    const ns = this.unwrap(this.guard(() => vm.evalCode(source, file, { type: "module" })));
    const logic = vm.getProp(ns, exportName);
    ns.dispose();
    vm.setProp(vm.global, "__aios_logic", logic);
    logic.dispose();
    const specText = vm.newString(spec);
    vm.setProp(vm.global, "__aios_spec", specText);
    specText.dispose();
    const postFn = vm.newFunction("__aios_post", (callH, opH, nameH, argsH, turnH) => {
      const call = vm.getNumber(callH);
      const op = vm.getString(opH);
      if (op !== "sys" && op !== "send" && op !== "request" && op !== "reply" && op !== "spawn") return vm.undefined;
      const turn = turnH === undefined ? 0 : vm.getNumber(turnH);
      this.post({ t: "call", call, op, name: vm.getString(nameH), args: vm.getString(argsH), turn: Number.isSafeInteger(turn) ? turn : 0 });
      return vm.undefined;
    });
    vm.setProp(vm.global, "__aios_post", postFn);
    postFn.dispose();
    this.unwrap(this.guard(() => vm.evalCode(GUEST_GLUE, "aios-glue.js"))).dispose();
  }

  /** Starts `__aios_<fn>(...texts)`; its answer is posted as `done` once the guest promise settles. */
  start(id: number, fn: "init" | "receive", texts: readonly string[]): void {
    const vm = this.vm;
    const f = vm.getProp(vm.global, `__aios_${fn}`);
    const args = texts.map((t) => vm.newString(t));
    const r = this.guard(() => vm.callFunction(f, vm.undefined, ...args));
    f.dispose();
    for (const a of args) a.dispose();
    this.op = { id, promise: this.unwrap(r) };
    this.pump();
  }

  /** A call's answer: settles the guest's promise, then runs what it unblocked. */
  settle(call: number, value: string | undefined, error: WireError | undefined): void {
    const vm = this.vm;
    const f = vm.getProp(vm.global, "__aios_settle");
    const args = [vm.newNumber(call), error === undefined ? vm.true : vm.false, error === undefined ? (value === undefined ? vm.undefined : vm.newString(value)) : vm.newString(JSON.stringify(error))];
    const r = this.guard(() => vm.callFunction(f, vm.undefined, ...args));
    f.dispose();
    for (const a of args) a.dispose();
    this.unwrap(r).dispose();
    this.pump();
  }

  /** Runs the guest's pending jobs; posts `done` when the operation's promise has settled. */
  private pump(): void {
    const jobs = this.guard(() => this.rt.executePendingJobs());
    if (jobs.error !== undefined) {
      const e = this.errorOf(jobs.error);
      jobs.error.dispose();
      throw new Limit(e);
    }
    const op = this.op;
    if (op === undefined) return;
    const st = this.vm.getPromiseState(op.promise);
    if (st.type === "pending") return;
    this.op = undefined;
    op.promise.dispose();
    if (st.type === "fulfilled") {
      const text = this.vm.dump(st.value) as unknown;
      st.value.dispose();
      this.post({ t: "done", id: op.id, value: typeof text === "string" ? text : "null" });
    } else {
      const e = this.errorOf(st.error);
      st.error.dispose();
      this.post({ t: "done", id: op.id, error: e });
    }
  }

  /** Runs guest code with a fresh deadline; a limit hit while it ran is fatal for the session. */
  private guard<T>(run: () => T): T {
    this.deadline = performance.now() + this.boot.limits.sliceMs;
    const r = run();
    if (this.hit !== undefined) throw new Limit(this.hit);
    return r;
  }

  private unwrap(r: { error?: QuickJSHandle | undefined; value?: QuickJSHandle | undefined }): QuickJSHandle {
    if (r.error !== undefined) {
      const e = this.errorOf(r.error);
      r.error.dispose();
      throw new Limit(e);
    }
    if (r.value === undefined) throw new Limit({ code: "E_INTERNAL", message: "QuickJS returned no value" });
    return r.value;
  }

  private errorOf(h: QuickJSHandle): WireError {
    if (this.hit !== undefined) return this.hit;
    const d = this.vm.dump(h) as unknown;
    const o = (typeof d === "object" && d !== null ? d : { message: String(d) }) as { name?: unknown; message?: unknown; code?: unknown };
    const message = typeof o.message === "string" ? o.message : String(d);
    if (/out of memory/i.test(message)) return { code: "E_SANDBOX", message: `isolated agent exceeded its memory limit: ${message}` };
    if (/stack overflow/i.test(message)) return { code: "E_SANDBOX", message: `isolated agent exceeded its stack limit: ${message}` };
    // A code the kernel gave the guest (a refused call it rethrew) keeps it; anything else is the guest's crash.
    const code = typeof o.code === "string" && /^E_[A-Z_]+$/.test(o.code) ? o.code : "E_AGENT_CRASHED";
    return { code, message: `${typeof o.name === "string" ? o.name : "Error"}: ${message}` };
  }
}

/**
 * The guest's linear memory, with a hard maximum: QuickJS's own base (16 MiB, what the build asks for
 * at start) plus the limit. QuickJS's setMemoryLimit under Emscripten counts 8 bytes per allocation, so
 * a few huge arrays would pass it, and the interrupt handler runs too seldom to stop one loop from
 * growing the memory by gigabytes; with this maximum, a malloc beyond it fails and QuickJS throws
 * "out of memory" at once.
 */
function cappedMemory(limitBytes: number): unknown {
  const page = 65536;
  const base = 256; // pages: the build's INITIAL_MEMORY (16 MiB)
  const wasm = (globalThis as { WebAssembly?: { Memory: new (d: { initial: number; maximum: number }) => unknown } }).WebAssembly;
  if (wasm === undefined) throw new Error("no WebAssembly");
  return new wasm.Memory({ initial: base, maximum: Math.min(32768, base + Math.ceil(limitBytes / page)) });
}

function wasmBytes(qjs: QuickJSWASMModule): number {
  return (qjs.getWasmMemory() as unknown as { readonly buffer: { readonly byteLength: number } }).buffer.byteLength;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error("isolate-worker runs in a worker thread");
  const boot = workerData as IsolateBoot;
  // WebAssembly's types are not in this tsconfig's lib: the memory is handed over untyped.
  const options: Parameters<typeof newVariant>[1] = Object.assign({ wasmModule: boot.wasm as WasmModule }, { wasmMemory: cappedMemory(boot.limits.memoryBytes) });
  const qjs = await newQuickJSWASMModule(newVariant(RELEASE_SYNC, options));
  const post = (m: FromWorker): void => port.postMessage(m);
  let session: Session | undefined;
  const fatal = (id: number, e: unknown): void => {
    const wire = e instanceof Limit ? e.wire : { code: "E_INTERNAL", message: e instanceof Error ? e.message : String(e) };
    post({ t: "done", id, error: { ...wire, code: wire.code, message: wire.message } });
    // A limit hit leaves the runtime in no state to go on: the kernel ends this thread.
    port.close();
  };
  let current = 0;
  port.on("message", (m: ToWorker) => {
    try {
      if (m.t === "load") {
        current = m.id;
        session = new Session(qjs, boot, post);
        session.load(m.source, m.file, m.exportName, m.spec);
        post({ t: "done", id: m.id, value: "null" });
      } else if (session === undefined) {
        throw new Error("no module is loaded");
      } else if (m.t === "init") {
        current = m.id;
        session.start(m.id, "init", [m.args, JSON.stringify(m.meta)]);
      } else if (m.t === "receive") {
        current = m.id;
        session.start(m.id, "receive", [m.state, m.payload, JSON.stringify(m.meta)]);
      } else {
        session.settle(m.call, m.value, m.error);
      }
    } catch (e) {
      fatal(current, e);
    }
  });
  post({ t: "done", id: 0, value: "null" });
}

void main();
