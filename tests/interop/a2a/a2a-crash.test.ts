/**
 * A2A tasks survive kill -9 of the daemon: a real child process serves A2A on a data dir; a task
 * is completed, another is left working (its agent holds the turn), a subscriber reads the first
 * events; the child is SIGKILLed. A new child on the same data dir serves the completed task
 * unchanged, hands the interrupted turn back to its agent (announced by a WORKING status), and
 * the subscriber resuming from its cursor receives every later event once, in order, to the end.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { TOKEN, userMessage } from "./harness.js";

type Child = ChildProcessByStdio<Writable, Readable, null>;

const HERE = fileURLToPath(new URL(".", import.meta.url));
const CHILD = join(HERE, "fixtures", "a2a-daemon-child.ts");
const ROOT = resolve(HERE, "../../..");
const dir = mkdtempSync(join(tmpdir(), "aios-a2a-crash-"));
const children: Child[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function start(mode: "start" | "resume"): Promise<{ child: Child; url: string; recovered: number }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, join(dir, "data"), mode, TOKEN], { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
    children.push(child);
    let buf = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buf += chunk.toString();
      const m = /LISTENING (\S+) (\d+)\n/.exec(buf);
      if (m?.[1] !== undefined) res({ child, url: m[1], recovered: Number(m[2]) });
    });
    child.on("error", rej);
    child.on("exit", (code, signal) => rej(new Error(`child exited early: ${code ?? signal}`)));
  });
}

async function call(url: string, method: string, params: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}`, "a2a-version": "1.0", ...headers }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  const body = (await res.json()) as { result?: Record<string, unknown>; error?: unknown };
  if (body.result === undefined) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

/** Reads SSE frames of a JSON-RPC stream: (id, result) pairs, until `stop` says so or the stream ends. */
async function frames(res: Response, stop: (n: number) => boolean): Promise<{ id: number; result: Record<string, unknown> }[]> {
  const out: { id: number; result: Record<string, unknown> }[] = [];
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const dec = new TextDecoder();
  let buf = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let cut: number;
    while ((cut = buf.indexOf("\n\n")) >= 0) {
      const frame = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      const id = /^id: (\d+)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      if (id !== undefined && data !== undefined) out.push({ id: Number(id), result: (JSON.parse(data) as { result: Record<string, unknown> }).result });
      if (stop(out.length)) {
        await reader.cancel();
        return out;
      }
    }
  }
  return out;
}

const subscribe = (url: string, id: string, lastEventId?: number): Promise<Response> =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}`, "a2a-version": "1.0", ...(lastEventId === undefined ? {} : { "last-event-id": String(lastEventId) }) }, body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "SubscribeToTask", params: { id } }) });

describe("A2A tasks across kill -9 of the daemon", () => {
  it("keeps finished tasks, resumes interrupted turns, and resumes a subscriber without loss or duplicates", async () => {
    const first = await start("start");
    expect(first.recovered).toBe(0);
    const echoUrl = `${first.url}/a2a/agents/echo/jsonrpc`;
    const gateUrl = `${first.url}/a2a/agents/gate/jsonrpc`;
    const done = (await call(echoUrl, "SendMessage", { message: userMessage("before the crash") }))["task"] as { id: string; status: { state: string } };
    expect(done.status.state).toBe("TASK_STATE_COMPLETED");
    const held = (await call(gateUrl, "SendMessage", { message: userMessage("held"), configuration: { returnImmediately: true } }))["task"] as { id: string };
    // A subscriber sees the task and its WORKING status, then the daemon dies under it.
    const before = await frames(await subscribe(gateUrl, held.id), (n) => n >= 1);
    const cursor = before[0]?.id ?? -1;
    expect(cursor).toBeGreaterThanOrEqual(0);
    first.child.kill("SIGKILL");
    await new Promise((r) => first.child.once("exit", r));

    const second = await start("resume");
    expect(second.recovered).toBe(1);
    const echo2 = `${second.url}/a2a/agents/echo/jsonrpc`;
    const gate2 = `${second.url}/a2a/agents/gate/jsonrpc`;
    expect(await call(echo2, "GetTask", { id: done.id })).toMatchObject({ id: done.id, status: { state: "TASK_STATE_COMPLETED" }, artifacts: [{ parts: [{ text: "echo: before the crash" }] }] });
    const resumed = subscribe(gate2, held.id, cursor);
    const res = await resumed;
    second.child.stdin.write("OPEN held\n");
    const after = await frames(res, () => false);
    const ids = after.map((f) => f.id);
    expect(ids[0]).toBe(cursor);
    expect(ids.slice(1)).toEqual(Array.from({ length: ids.length - 1 }, (_, i) => cursor + 1 + i));
    const states = after.flatMap((f) => {
      const s = f.result["statusUpdate"] as { status: { state: string; message?: { parts: { text: string }[] } } } | undefined;
      return s === undefined ? [] : [s.status.state];
    });
    expect(states).toContain("TASK_STATE_WORKING");
    expect(states.at(-1)).toBe("TASK_STATE_COMPLETED");
    expect(await call(gate2, "GetTask", { id: held.id })).toMatchObject({ status: { state: "TASK_STATE_COMPLETED" }, artifacts: [{ parts: [{ text: "released: held" }] }] });
    const listed = (await call(`${second.url}/a2a/jsonrpc`, "ListTasks", {}))["tasks"] as { id: string }[];
    expect(listed.map((t) => t.id)).toEqual([held.id, done.id]);
    second.child.kill("SIGKILL");
  }, 60_000);
});
