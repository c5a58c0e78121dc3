/**
 * One arm of `npm run bench -- observe` (bench/observe.ts), in a process of its own so that each
 * arm's garbage is collected, and paid for, in its own heap: the default stack booted in `dataDir`
 * with the replay model (five calls of the tool `add`, then "done") and observe/ left out (`none`),
 * installed with tracing off (`off`) or tracing on into an exporter that drops the spans (`on`).
 * It runs one `os.run` step per "step" message from the parent and answers with its process's
 * cumulative CPU time (user + system, every thread: the parent takes differences, so a collection
 * or a background thread's work between two steps is charged to this arm's next step) and the
 * step's wall time. argv: <none|off|on> <dataDir>.
 */
import type { ReadableSpan, SpanExporter } from "@opentelemetry/sdk-trace-base";
import { silentLogger } from "../../src/core/index.js";
import { boot } from "../../src/sdk/index.js";
import { addTool } from "../fixtures.js";

const [arm, dataDir] = process.argv.slice(2);
if ((arm !== "none" && arm !== "off" && arm !== "on") || dataDir === undefined || process.send === undefined) {
  process.stderr.write("usage (forked, with an IPC channel): observe-arm.ts <none|off|on> <dataDir>\n");
  process.exit(2);
}
const send = process.send.bind(process);

/** Takes every span the SDK finished and drops it: the cost measured is making them, not shipping them. */
class DropExporter implements SpanExporter {
  spans = 0;
  export(spans: ReadableSpan[], done: Parameters<SpanExporter["export"]>[1]): void {
    this.spans += spans.length;
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const turns = [
  ...Array.from({ length: 5 }, (_, i) => ({ toolCalls: [{ name: "add", args: { a: i, b: 1 } }] })),
  { text: "done" },
];
const spec = { name: "adder", kind: "llm" as const, model: "scripted", instructions: "Add.", tools: ["add"], capabilities: ["tool:add#call", "llm:*#invoke"] };
const sink = new DropExporter();
const os = await boot({
  dataDir,
  logger: silentLogger,
  models: { scripted: { provider: "replay", model: "scripted", turns } },
  subsystems: { embedder: false, ...(arm === "none" ? { observe: false } : arm === "on" ? { observe: { tracing: { exporter: sink } } } : {}) },
});
os.tools.register(addTool());

const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

process.on("message", (m: { cmd: string }) => {
  void (async () => {
    if (m.cmd === "step") {
      const t0 = performance.now();
      const r = await os.run(spec, { goal: "add" });
      const wallMs = performance.now() - t0;
      if (r.text !== "done") throw new Error(`unexpected answer ${r.text}`);
      send({ cpuMs: cpuMs(), wallMs });
    } else if (m.cmd === "stop") {
      await os.shutdown();
      send({ spans: sink.spans }, undefined, {}, () => process.exit(0));
    }
  })().catch((e: unknown) => {
    process.stderr.write(`observe arm ${arm}: ${String(e)}\n`);
    process.exit(1);
  });
});
send({ ready: true });
