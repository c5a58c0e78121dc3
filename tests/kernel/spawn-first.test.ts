/**
 * A spawn's `first` turn (kernel SpawnOptions.first, used by os.run): a request made from it to a
 * durable agent is journaled in the same group commit as the spawn record (and, the agent starting
 * while that commit is written (ADR 0052), its start transition), and nothing is acknowledged before
 * it is on disk. A spawn that
 * fails after `first` ran leaves no agent behind, and the request made from it is refused, not lost
 * as an unhandled rejection.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { boot, storeSubsystem, type AgentLogic, type Aios } from "../../src/index.js";
import { isAiosError } from "../../src/core/index.js";
import { tally } from "./helpers.js";

const broken: AgentLogic<number> = {
  init: () => {
    throw new Error("no init today");
  },
  receive: (n) => n,
};

const dirs: string[] = [];
const systems: Aios[] = [];
afterEach(async () => {
  for (const os of systems.splice(0)) await os.shutdown();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A durable bare kernel whose journal reports each commit's record count into `commits`. */
async function bootCounting(commits: number[]): Promise<Aios> {
  const dataDir = mkdtempSync(join(tmpdir(), "aios-spawn-first-"));
  dirs.push(dataDir);
  const os = await boot({ dataDir, stack: "bare", durable: true, logics: { tally, broken }, add: [storeSubsystem({ dataDir, onCommit: (n) => commits.push(n) })] });
  systems.push(os);
  return os;
}

describe("spawn's first turn", () => {
  it("journals a request made from it in the spawn's commit; the reply comes as from any request", async () => {
    const commits: number[] = [];
    const os = await bootCounting(commits);
    commits.length = 0;
    let reply: Promise<unknown> | undefined;
    const id = await os.kernel.spawn({ name: "t", kind: "code", logic: "tally", durable: true }, {
      first: (agent) => {
        reply = os.request(agent, "get");
      },
    });
    // The first commit after the spawn began holds the spawn record, the request's letter and the
    // start transition: the agent started while it was written.
    expect(commits[0]).toBe(3);
    expect(reply).toBeDefined();
    expect(await reply).toBe(0);
    expect(os.status(id)).toMatchObject({ id, status: "running" });
  });

  it("without it, the same spawn and request take a commit each (the control)", async () => {
    const commits: number[] = [];
    const os = await bootCounting(commits);
    commits.length = 0;
    const id = await os.kernel.spawn({ name: "t", kind: "code", logic: "tally", durable: true });
    expect(commits).toEqual([2]); // the spawn record and the start transition; the request's letter next
    expect(await os.request(id, "get")).toBe(0);
  });

  it("a spawn that fails after it ran leaves no agent, and the request from it is refused", async () => {
    const commits: number[] = [];
    const os = await bootCounting(commits);
    let reply: Promise<unknown> | undefined;
    let made: string | undefined;
    const spawned = os.kernel.spawn({ name: "b", kind: "code", logic: "broken", durable: true }, {
      first: (agent) => {
        made = agent;
        reply = os.request(agent, "get");
      },
    });
    await expect(spawned).rejects.toSatisfy((e: unknown) => isAiosError(e, "E_AGENT_CRASHED"));
    expect(made).toBeDefined();
    await expect(reply).rejects.toSatisfy((e: unknown) => isAiosError(e, "E_NO_AGENT"));
    expect(os.ps().find((p) => p.id === made && p.status === "running")).toBeUndefined();
  });
});
