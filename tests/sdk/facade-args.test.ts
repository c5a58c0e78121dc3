/**
 * The SDK facade as a user calls it (issue #11.8): a natural but wrong call answers with an AiosError
 * naming the function and parameter (never a TypeError), agents are reachable by name, a tool runs
 * as the operator through the door, and a pending request keeps a real Node process alive until it
 * times out with E_TIMEOUT.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boot, isAiosError, silentLogger, type Aios, type ErrorCode } from "../../src/index.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..");
let os: Aios;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aios-facade-"));
  os = await boot({ logger: silentLogger, subsystems: { embedder: false, memory: false } });
});
afterAll(async () => {
  await os.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

/** The error is an AiosError with `code` that names `param` in its message and details. */
function names(code: ErrorCode, param: string): (e: unknown) => boolean {
  return (e) => isAiosError(e, code) && (e as Error).message.includes(`${param}:`) && (e as { details?: { path?: string } }).details?.path === param;
}
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

const idle = { receive: (s: null) => s };

describe("natural calls that used to crash with a TypeError", () => {
  it("os.tools.execute without the door's context names ctx and points at os.callTool", async () => {
    const e = await os.tools.execute("file.read", { path: join(dir, "x") }, undefined as never).catch((x: unknown) => x);
    expect(e).toSatisfy(names("E_INVALID_ARG", "ctx"));
    expect((e as Error).message).toContain("os.callTool");
  });

  it("os.caps.explain with an info view names caller; os.explain does what was meant", async () => {
    const id = await os.spawn({ name: "reader", kind: "code", logic: idle, capabilities: [`file:${dir}/**#read`] });
    expect(thrown(() => os.caps.explain(os.status(id) as never, { resource: `file:${dir}/a`, action: "read" }))).toSatisfy(names("E_INVALID_ARG", "caller"));
    expect(thrown(() => os.caps.explain(os.kernel.get(id), "file:/a#read" as never))).toSatisfy(names("E_INVALID_ARG", "req"));
    expect(os.explain("reader", `file:${dir}/a#read`).allowed).toBe(true);
    expect(os.explain(id, `file:${dir}/../etc/passwd#write`).allowed).toBe(false);
    expect(thrown(() => os.explain(id, "file:/a"))).toSatisfy(names("E_INVALID_ARG", "capability"));
  });
});

describe("every facade function names the bad parameter", () => {
  it("ids, options and callbacks", async () => {
    await expect(os.request(undefined as never, "x")).rejects.toSatisfy(names("E_INVALID_ARG", "id"));
    const a = await os.spawn({ name: "a", kind: "code", logic: idle });
    await expect(os.request(a, "x", { timeoutMs: -5 })).rejects.toSatisfy(names("E_INVALID_ARG", "options.timeoutMs"));
    await expect(os.request(a, "x", 300 as never)).rejects.toSatisfy(names("E_INVALID_ARG", "options"));
    await expect(os.send("nobody-here", "x")).rejects.toSatisfy(names("E_NO_AGENT", "id"));
    await expect(os.kill(42 as never)).rejects.toSatisfy(names("E_INVALID_ARG", "id"));
    await expect(os.pause({} as never)).rejects.toSatisfy(names("E_INVALID_ARG", "id"));
    await expect(os.spawn("worker" as never)).rejects.toSatisfy(names("E_INVALID_ARG", "spec"));
    await expect(os.upgrade(a, undefined as never)).rejects.toSatisfy(names("E_INVALID_ARG", "options"));
    await expect(os.merge(a, undefined as never, {} as never)).rejects.toSatisfy(names("E_INVALID_ARG", "b"));
    await expect(os.decide("esc-1", "retry" as never)).rejects.toSatisfy(names("E_INVALID_ARG", "decision"));
    expect(thrown(() => os.status(""))).toSatisfy(names("E_INVALID_ARG", "id"));
    expect(thrown(() => os.ps("running" as never))).toSatisfy(names("E_INVALID_ARG", "filter"));
    expect(thrown(() => os.events.subscribe({}, "log" as never))).toSatisfy(names("E_INVALID_ARG", "fn"));
    await expect(os.callTool(undefined as never)).rejects.toSatisfy(names("E_INVALID_ARG", "name"));
    await expect(os.callTool("file.read", "x" as never)).rejects.toSatisfy(names("E_INVALID_ARG", "args"));
  });

  it("os.send answers every refusal with a rejected promise, never a synchronous throw", async () => {
    const a = await os.spawn({ name: "counted", kind: "code", logic: idle, mailbox: { capacity: 1, onFull: "fail" } });
    const calls: [string, unknown][] = [["nobody-here", 1], ["", 1], [a, "x".repeat(2_000_000)], [a, 1], [a, 2]];
    const answers = calls.map(([to, payload]) => {
      let r: unknown;
      expect(() => (r = os.send(to, payload))).not.toThrow();
      expect(r).toBeInstanceOf(Promise);
      return r as Promise<void>;
    });
    await expect(answers[0]).rejects.toSatisfy(names("E_NO_AGENT", "id"));
    await expect(answers[1]).rejects.toSatisfy(names("E_INVALID_ARG", "id"));
    await expect(answers[2]).rejects.toMatchObject({ code: "E_INVALID_ARG" });
    await expect(answers[3]).resolves.toBeUndefined();
    // The one-letter mailbox still holds the first (the agent has not run yet): the second is refused.
    await expect(answers[4]).rejects.toMatchObject({ code: "E_MAILBOX_FULL" });
    // The id a send went to before is looked up again once its agent is gone: the same refusal.
    const b = await os.spawn({ name: "brief", kind: "code", ephemeral: true, logic: idle });
    await os.send(b, 1);
    await os.kill(b);
    await expect(os.send(b, 2)).rejects.toSatisfy(names("E_NO_AGENT", "id"));
    const c = await os.spawn({ name: "brief", kind: "code", ephemeral: true, logic: idle });
    await expect(os.send("brief", 3)).resolves.toBeUndefined();
    await expect(os.send(c, 4)).resolves.toBeUndefined();
  });

  it("takes a name wherever it takes an id, and refuses an ambiguous one", async () => {
    const w = await os.spawn({ name: "worker-1", kind: "code", logic: { receive: (n: number, _m, ctx) => (ctx.reply(n + 1), n + 1), init: () => 0 } });
    expect(os.status("worker-1").id).toBe(w);
    expect(await os.request("worker-1", "x")).toBe(1);
    await os.spawn({ name: "twin", kind: "code", logic: idle });
    await os.spawn({ name: "twin", kind: "code", logic: idle });
    expect(thrown(() => os.status("twin"))).toSatisfy(names("E_INVALID_ARG", "id"));
  });
});

describe("os.callTool", () => {
  it("runs a tool as the operator through the door, and as an agent with only its own capabilities", async () => {
    const file = join(dir, "note.txt");
    writeFileSync(file, "hello from disk");
    const out = (await os.callTool("file.read", { path: file })) as { content?: string };
    expect(JSON.stringify(out)).toContain("hello from disk");
    const before = os.audit.size;
    await os.spawn({ name: "nobody", kind: "code", logic: idle });
    await expect(os.callTool("file.read", { path: file }, { as: "nobody" })).rejects.toSatisfy((e) => isAiosError(e, "E_CAP_DENIED"));
    await expect(os.callTool("no.such.tool", {})).rejects.toSatisfy((e) => isAiosError(e, "E_NO_TOOL") || isAiosError(e, "E_INVALID_ARG"));
    os.audit.checkpoint();
    expect(os.audit.size).toBeGreaterThan(before);
  });
});

describe("a pending request keeps Node alive", () => {
  it("ends with E_TIMEOUT and runs the code after the await, in a real process", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", join(HERE, "fixtures", "pending-request.ts")], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
    expect(r.stdout).toBe("E_TIMEOUT\nafter\n");
    expect(r.status).toBe(0);
  }, 30_000);
});
