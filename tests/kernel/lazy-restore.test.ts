/**
 * Lazy restore (issue #17.6): after a restart every durable agent is in the process table (ps, status,
 * names, the tree) but its logic is resolved and its state restored only on first use — a message, a
 * request, an operation. Tests at the level a user meets it (the SDK over a real SQLite store).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { boot as bootKernel, storeSubsystem, type AgentId, type AgentLogic, type Logger, type MessageId } from "../../src/index.js";
import { createSqliteJournal } from "../../src/kernel/index.js";
import type { StoredSpec } from "../../src/abi/index.js";

/** Counts, replies with its count; every restore is recorded in `restored`. */
function counterWith(restored: string[]): AgentLogic<{ name: string; n: number }> {
  return {
    init: (ctx) => ({ name: ctx.spec.name, n: 0 }),
    receive: (s, m, ctx) => {
      if (m === "boom") throw new Error("boom");
      ctx.reply(s.n + 1);
      return { name: s.name, n: s.n + 1 };
    },
    restore: (d) => {
      const s = d as { name: string; n: number };
      restored.push(s.name);
      return s;
    },
  };
}

function errorsTo(out: string[]): Logger {
  const noop = (): void => undefined;
  const l: Logger = { debug: noop, info: noop, warn: noop, error: (o) => void out.push(JSON.stringify(o)), child: () => l };
  return l;
}

function bootAt(dataDir: string, counter: AgentLogic<{ name: string; n: number }>, logger?: Logger) {
  return bootKernel({ dataDir, stack: "bare", durable: true, logics: { counter }, add: [storeSubsystem({ dataDir })], ...(logger === undefined ? {} : { logger }) });
}

describe("lazy restore after a restart", () => {
  it("knows every agent at boot and restores each on its first use only", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-lazy-"));
    const restored: string[] = [];
    let os = await bootAt(dir, counterWith(restored));
    const ids: AgentId[] = [];
    for (let i = 0; i < 20; i++) ids.push(await os.spawn({ name: `c${i}`, kind: "code", logic: "counter" }));
    for (const id of ids) await os.request(id, "x");
    await os.pause(ids[1] as AgentId);
    await os.shutdown();

    os = await bootAt(dir, counterWith(restored));
    // The table, names and statuses are known; nothing was restored.
    expect(os.ps()).toHaveLength(20);
    expect(os.status(ids[1] as AgentId).status).toBe("paused");
    expect(os.status("c3").status).toBe("running");
    expect(os.kernel.recovery.dormant).toBe(20);
    expect(restored).toEqual([]);
    // First use: a request restores that agent alone, with its state.
    expect(await os.request("c3", "y")).toBe(2);
    expect(restored).toEqual(["c3"]);
    // Concurrent first uses share one restore.
    const answers = await Promise.all([os.request(ids[4] as AgentId, "a"), os.request(ids[4] as AgentId, "b"), os.send(ids[4] as AgentId, "c")]);
    expect(new Set(answers.slice(0, 2)).size).toBe(2);
    expect(await os.request(ids[4] as AgentId, "d")).toBe(5);
    expect(restored).toEqual(["c3", "c4"]);
    // An operation is a use: resume restores the paused agent, which then runs on.
    await os.resume(ids[1] as AgentId);
    expect(restored).toEqual(["c3", "c4", "c1"]);
    expect(await os.request(ids[1] as AgentId, "z")).toBe(2);
    expect(os.kernel.recovery.dormant).toBe(17);
    expect(os.kernel.recovery.wakingTrees).toBe(0);
    await os.shutdown();

    // The untouched ones come back at the next boot as they were.
    os = await bootAt(dir, counterWith(restored));
    expect(await os.request(ids[19] as AgentId, "again")).toBe(2);
    expect(await os.request("c3", "again")).toBe(3);
    await os.shutdown();
  });

  it("wakes an agent a syscall is made for, before the syscall runs as it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-lazy-syscall-"));
    const restored: string[] = [];
    let os = await bootAt(dir, counterWith(restored));
    const a = await os.spawn({ name: "a", kind: "code", logic: "counter", capabilities: ["kernel#noop"] });
    const b = await os.spawn({ name: "b", kind: "code", logic: "counter" });
    for (const id of [a, b]) await os.request(id, "x");
    await os.shutdown();

    os = await bootAt(dir, counterWith(restored));
    expect(os.kernel.recovery.dormant).toBe(2);
    // The operator calls as `a`: `a` comes back (its state restored) before the call runs; `b` stays dormant.
    await expect(os.syscall(a, "Noop", {})).resolves.toBeDefined();
    expect(restored).toEqual(["a"]);
    expect(os.kernel.get(a).dormant).toBeNull();
    expect(os.kernel.recovery.dormant).toBe(1);
    expect(await os.request(a, "y")).toBe(2);
    // A refused call is a use too: the agent is awake whatever the door decides.
    await expect(os.syscall(b, "Noop", {})).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    expect(restored).toEqual(["a", "b"]);
    expect(os.kernel.recovery.dormant).toBe(0);
    await os.shutdown();
  });

  it("wakes a supervision tree as one: the supervisor restarts a child restored on first use", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-lazy-"));
    const restored: string[] = [];
    let os = await bootAt(dir, counterWith(restored));
    const sup = await os.spawn({ name: "sup", kind: "supervisor", supervision: { intensity: 5 }, children: [{ name: "w", kind: "code", logic: "counter" }, { name: "v", kind: "code", logic: "counter" }] });
    const w = os.ps({ name: "sup/w" })[0]?.id ?? os.ps({ name: "w" })[0]!.id;
    expect(await os.request(w, 1)).toBe(1);
    await os.shutdown();

    os = await bootAt(dir, counterWith(restored));
    expect(os.tree()).toMatchObject([{ id: sup, children: [{ id: w }, {}] }]);
    expect(restored).toEqual([]);
    expect(await os.request(w, "x")).toBe(2);
    // The child's first use restored its whole tree (v had no checkpoint: its init ran).
    expect(os.kernel.recovery.dormant).toBe(0);
    const restarted = new Promise<void>((resolve) => {
      os.events.subscribe({ types: ["agent.transition"], agent: w }, (e) => {
        if ((e.data as { to: string }).to === "running") resolve();
      });
    });
    await os.send(w, "boom");
    await restarted;
    expect(os.status(w)).toMatchObject({ status: "running", incarnation: 1 });
    await os.shutdown();
  });

  it("puts letters moved into a dormant agent's journal in its mailbox in the order they were moved", async () => {
    // Cluster mail moved into the journal of an agent still dormant (a takeover) is handed to the kernel
    // one letter at a time as each record commits. The first wakes the agent; those after it must not
    // overtake it while it waits for the wake, or the mailbox leaves journal order.
    const dir = mkdtempSync(join(tmpdir(), "aios-lazy-order-"));
    const log: AgentLogic<{ got: unknown[] }> = {
      init: () => ({ got: [] }),
      receive: (s, m, ctx) => {
        if (m === "?") {
          ctx.reply(s.got);
          return s;
        }
        return { got: [...s.got, m] };
      },
    };
    const bootLog = () => bootKernel({ dataDir: dir, stack: "bare", durable: true, logics: { log }, add: [storeSubsystem({ dataDir: dir })] });
    let os = await bootLog();
    const id = await os.spawn({ name: "log", kind: "code", logic: "log" });
    expect(await os.request(id, "?")).toEqual([]);
    await os.shutdown();

    os = await bootLog();
    expect(os.kernel.recovery.dormant).toBe(1);
    const letters = [1, 2, 3, 4, 5].map((n) => ({ id: `msg_moved_${n}` as MessageId, to: id, payload: n }));
    const adopted = letters.map((l) => os.kernel.adoptMail(id, [l]));
    expect(await Promise.all(adopted)).toEqual([true, true, true, true, true]);
    expect(await os.request(id, "?")).toEqual([1, 2, 3, 4, 5]);
    await os.shutdown();
  });

  it("reports a journaled spec this build rejects and an unknown logic at boot; the rest come back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-lazy-"));
    const restored: string[] = [];
    let os = await bootAt(dir, counterWith(restored));
    const ok = await os.spawn({ name: "ok", kind: "code", logic: "counter" });
    os.kernel.registerLogic("temp", counterWith(restored));
    await os.spawn({ name: "lost", kind: "code", logic: "temp" });
    await os.shutdown();
    const j = createSqliteJournal(dir);
    await j.recover();
    const bad = { name: "bad", kind: "nonsense", logic: "counter", durable: true } as unknown as StoredSpec;
    await j.spawned({ id: "ag_bad" as AgentId, spec: bad, status: "running", callSeq: 0 });
    await j.close();

    const errors: string[] = [];
    os = await bootAt(dir, counterWith(restored), errorsTo(errors));
    expect(os.ps().map((a) => a.name)).toEqual(["ok"]);
    expect(errors.some((e) => e.includes("recovery of ag_bad") && e.includes("kind"))).toBe(true);
    expect(errors.some((e) => e.includes("logic \\\"temp\\\" is not registered"))).toBe(true);
    expect(await os.request(ok, "x")).toBe(1);
    await os.shutdown();
  });
});
