/**
 * Demo section 5: durability across kill -9. A child process runs a kernel with a durable counter and
 * sends it numbered messages; the parent SIGKILLs the child mid-work, starts a new child on the same
 * data dir and checks what came back: the counter resumed from its checkpoint, every acknowledged
 * message was handled exactly once (none lost, none repeated).
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { z } from "zod";
import { AiosError } from "../../core/index.js";
import { atInterrupt } from "../cleanup.js";
import type { Narrator } from "./narrator.js";
import { COUNTER_MODULE, DURABLE_CHILD } from "./paths.js";

const Line = z.union([
  z.object({ spawned: z.string() }),
  z.object({ ack: z.number() }),
  z.object({ error: z.string() }),
  z.object({ id: z.string(), incarnationStatus: z.string(), queuedAtBoot: z.number(), state: z.object({ count: z.number(), last: z.number(), gaps: z.number(), repeats: z.number(), restoredFrom: z.number().optional() }) }),
]);
type Line = z.infer<typeof Line>;

/** Node with tsx's loader, found from this package (not the caller's cwd). */
function childArgs(args: string[]): string[] {
  return ["--import", import.meta.resolve("tsx"), DURABLE_CHILD, ...args];
}

interface Child {
  readonly lines: AsyncIterable<Line>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill(): void;
}

function start(args: string[]): Child {
  const p = spawn(process.execPath, childArgs(args), { stdio: ["ignore", "pipe", "pipe"] });
  // Cut short (Ctrl-C, `aios demo | head`), the demo takes its child kernel down with it.
  const forget = atInterrupt(`child kernel ${p.pid ?? "?"}`, () => void p.kill("SIGKILL"));
  p.once("exit", forget);
  let stderr = "";
  p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const rl = createInterface({ input: p.stdout });
  async function* lines(): AsyncIterable<Line> {
    for await (const l of rl) {
      const r = Line.safeParse(JSON.parse(l));
      if (r.success) yield r.data;
    }
  }
  return {
    lines: lines(),
    exited: new Promise((resolve) => p.once("exit", (code, signal) => resolve({ code, signal, stderr }))),
    kill: () => void p.kill("SIGKILL"),
  };
}

export async function sectionDurable(dataDir: string, say: Narrator, killAfterAcks = 40): Promise<void> {
  say.section("A durable agent survives kill -9 of the kernel", "A kernel in a child process runs a durable counter: each message is journaled before it is acknowledged, and the counter's state is checkpointed after each one. We SIGKILL that kernel mid-work, boot a new one on the same data dir, and check what came back.");
  const work = start(["work", dataDir, COUNTER_MODULE]);
  let acked = 0;
  let id = "";
  for await (const l of work.lines) {
    if ("spawned" in l) {
      id = l.spawned;
      say.show("child kernel spawned the durable counter", id);
    } else if ("ack" in l) {
      acked = Math.max(acked, l.ack);
      if (acked === killAfterAcks) work.kill();
    }
  }
  const ex = await work.exited;
  if (ex.signal !== "SIGKILL") throw new AiosError("E_INTERNAL", `the demo's child kernel exited (${ex.code ?? ex.signal}) before it was killed: ${ex.stderr.trim().slice(-400)}`);
  say.say(`SIGKILLed the child kernel after ${acked} acknowledged messages (more may have been in flight)`);

  const rec = start(["recover", dataDir]);
  let found: Extract<Line, { state: unknown }> | undefined;
  for await (const l of rec.lines) if ("state" in l) found = l;
  const rex = await rec.exited;
  if (found === undefined) throw new AiosError("E_INTERNAL", `the recovering kernel reported nothing: ${rex.stderr.trim().slice(-400)}`);
  const s = found.state;
  say.show("new kernel on the same data dir found", `${found.id} (${found.incarnationStatus}), ${found.queuedAtBoot} unhandled message(s) redelivered from the journal`);
  say.show("resumed from its checkpoint at count", s.restoredFrom ?? 0);
  say.show("after draining", `count ${s.count}, last seq ${s.last}, gaps ${s.gaps}, repeats ${s.repeats}`);
  if (found.id !== id || s.last < acked || s.gaps !== 0 || s.repeats !== 0 || s.count !== s.last) {
    throw new AiosError("E_INTERNAL", `durability check failed: acked ${acked}, recovered ${JSON.stringify(s)}`);
  }
  say.ok(`all ${acked} acknowledged messages were handled exactly once (${s.last - acked} more were journaled but not yet acknowledged when it died)`);
}
