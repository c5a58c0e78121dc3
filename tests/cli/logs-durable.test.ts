/**
 * Through real child processes against a real daemon: an agent's logs by name, with its messaging
 * syscalls (`--messages`), read from the audit log — so they survive a daemon restart and are read
 * without a daemon too (by id); an unknown agent is an error, not silence.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSpecFile } from "../../src/abi/index.js";
import { HttpControl } from "../../src/cli/client.js";
import type { LogEvent } from "../../src/cli/render.js";
import { cli, startDaemon } from "./helpers.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "aios-logs-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const requests = (events: LogEvent[]): LogEvent[] => events.filter((e) => (e.data as { name?: string }).name === "AgentRequest");

describe("aios logs", () => {
  it("shows an agent's messages by name, across a daemon restart and without a daemon; refuses unknown agents", async () => {
    const data = join(dir, "data");
    const g = ["--data-dir", data, "--json"];
    let d = await startDaemon(data);
    // The setup goes through the API (the harness); the subject, `aios logs`, runs as a child process.
    const api = new HttpControl(`http://127.0.0.1:${d.port}`, readFileSync(join(data, "api-token"), "utf8").trim());
    await api.spawn({ spec: { ...(await loadSpecFile("examples/specs/team.yaml")) } });
    const ps = await api.ps();
    const w1 = ps.find((a) => a.name === "worker-1");
    const w2 = ps.find((a) => a.name === "worker-2");
    if (w1 === undefined || w2 === undefined) throw new Error("team.yaml did not start its workers");
    expect(await api.request(w1.id, { type: "ask", to: w2.id, n: 6 })).toMatchObject({ error: { code: "E_CAP_DENIED" } });
    await api.grant(w1.id, "agent:*#send");
    expect(await api.request(w1.id, { type: "ask", to: w2.id, n: 6 })).toMatchObject({ answer: 36 });

    const [messages, unknown] = await Promise.all([cli([...g, "logs", "worker-1", "--messages"]), cli([...g, "logs", "worker-9"])]);
    expect(messages.code).toBe(0);
    const before = requests(JSON.parse(messages.stdout) as LogEvent[]);
    expect(before.map((e) => e.type)).toEqual(["syscall.denied", "syscall.allowed"]);
    expect(before.every((e) => e.agent === w1.id)).toBe(true);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^error: E_NO_AGENT: no agent worker-9/);

    // No daemon: the audit log answers by id; a name needs the daemon, and says so.
    d.proc.kill("SIGTERM");
    expect((await d.exited).code).toBe(0);
    const [offline, byName] = await Promise.all([cli([...g, "logs", w1.id, "--messages"]), cli([...g, "logs", "worker-1"])]);
    expect(offline.code).toBe(0);
    expect(requests(JSON.parse(offline.stdout) as LogEvent[])).toEqual(before);
    expect(byName.code).toBe(1);
    expect(byName.stderr).toMatch(/^error: E_NO_AGENT: no agent worker-1 in the audit log of .*names are resolved by the daemon/);

    // A new daemon on the same data dir: the durable worker is back, its messages still in its logs.
    d = await startDaemon(data);
    const [after, lifecycle] = await Promise.all([cli([...g, "logs", "worker-1", "--messages"]), cli([...g, "logs", "worker-1", "--types", "agent.transition"])]);
    expect(requests(JSON.parse(after.stdout) as LogEvent[])).toEqual(before);
    const transitions = (JSON.parse(lifecycle.stdout) as LogEvent[]).map((e) => (e.data as { to: string }).to);
    expect(transitions.slice(0, 2)).toEqual(["pending", "running"]); // from the first daemon's life
    d.proc.kill("SIGTERM");
    expect((await d.exited).code).toBe(0);
  }, 60_000);
});
