/**
 * `aios restart <agent>` against a real `aios up` daemon, through real child processes: --json
 * answers the id, the plain form says what it did, the durable counter keeps its journaled count
 * across the restart (its incarnation goes up), and an unknown agent exits 1 naming it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AgentInfo } from "../../src/kernel/index.js";
import { HttpControl } from "../../src/cli/client.js";
import type { CounterState } from "../../examples/agents/counter.js";
import { cli, useDaemon } from "./helpers.js";

const fx = useDaemon("aios-restart-cli-");

describe("aios restart", () => {
  it("restarts an agent by id or name, keeping a durable agent's state", async () => {
    const g = ["--data-dir", fx.data, "--json"];
    const run = await cli([...g, "run", "examples/specs/counter.yaml"]);
    expect(run.code, run.stderr).toBe(0);
    const id = (JSON.parse(run.stdout) as { id: string }).id;
    const api = new HttpControl(`http://127.0.0.1:${fx.daemon.port}`, readFileSync(join(fx.data, "api-token"), "utf8").trim());
    for (let seq = 1; seq <= 3; seq++) await api.send(id, { seq });

    const [json, missing] = await Promise.all([cli([...g, "restart", "counter"]), cli([...g, "restart", "ag_missing"])]);
    const plain = await cli(["--data-dir", fx.data, "restart", id, "--reason", "from the test"]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ id, restarted: true });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout.trim()).toBe(`restarted ${id}`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: E_NO_AGENT: no agent ag_missing/);

    const status = JSON.parse((await cli([...g, "status", id])).stdout) as AgentInfo;
    expect(status).toMatchObject({ id, status: "running", incarnation: 2 });
    const get = await cli([...g, "send", id, '{"type":"get"}', "--request"]);
    expect((JSON.parse(get.stdout) as { reply: CounterState }).reply).toMatchObject({ count: 3, last: 3 });
  }, 60_000);
});
