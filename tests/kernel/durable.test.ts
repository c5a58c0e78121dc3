import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { boot as bootKernel, storeSubsystem } from "../../src/index.js";
import { type AgentLogic } from "../../src/abi/index.js";
import { settle } from "./helpers.js";

const counter: AgentLogic<number> = {
  init: () => 0,
  receive: (n, m, ctx) => {
    if (m === "boom") throw new Error("boom");
    ctx.reply(n + 1);
    return n + 1;
  },
};

async function bootAt(dataDir: string) {
  return bootKernel({ dataDir, stack: "bare", durable: true, logics: { counter }, add: [storeSubsystem({ dataDir })] });
}

describe("durable agents across restarts", () => {
  it("a clean shutdown keeps durable agents: they resume with their state, status and mail", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-durable-"));
    let os = await bootAt(dir);
    const a = await os.spawn({ name: "a", kind: "code", logic: "counter" });
    const b = await os.spawn({ name: "b", kind: "code", logic: "counter" });
    for (let i = 0; i < 3; i++) await os.send(a, i);
    await os.pause(b);
    await os.send(b, "queued");
    await settle();
    const gone = await os.spawn({ name: "gone", kind: "code", logic: "counter" });
    await os.kill(gone);
    await os.shutdown();

    os = await bootAt(dir);
    expect(os.status(a)).toMatchObject({ status: "running", durable: true });
    expect(await os.request(a, "x")).toBe(4); // three handled before the shutdown
    expect(os.status(b)).toMatchObject({ status: "paused", mailbox: 1 });
    await os.resume(b);
    expect(await os.request(b, "x")).toBe(2); // the queued message was kept, then this one
    expect(os.ps({ name: "gone" })).toEqual([]); // a killed agent stays ended
    await os.shutdown();
  });

  it("a durable mailbox that refuses a fail-fast send never delivers it later, even after a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-durable-"));
    let os = await bootAt(dir);
    const a = await os.spawn({ name: "a", kind: "code", logic: "counter", mailbox: { capacity: 2, onFull: "fail" } });
    await os.pause(a);
    // Three sends at once: the third finds the two places taken (one still being journaled).
    const sends = await Promise.allSettled([os.send(a, 1), os.send(a, 2), os.send(a, 3)]);
    expect(sends.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected"]);
    expect((sends[2] as PromiseRejectedResult).reason).toMatchObject({ code: "E_MAILBOX_FULL" });
    expect(os.status(a)).toMatchObject({ mailbox: 2 });
    await os.shutdown();

    os = await bootAt(dir);
    expect(os.status(a)).toMatchObject({ status: "paused", mailbox: 2 }); // the refused one was never journaled
    await os.resume(a);
    await settle();
    expect(await os.request(a, "x")).toBe(3);
    await os.shutdown();
  });

  it("an ephemeral agent is never journaled and a non-durable one does not come back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-durable-"));
    let os = await bootAt(dir);
    await os.spawn({ name: "e", kind: "code", logic: "counter", ephemeral: true });
    await os.spawn({ name: "m", kind: "code", logic: counter, durable: false });
    await os.shutdown();
    os = await bootAt(dir);
    expect(os.ps()).toEqual([]);
    await os.shutdown();
  });

  it("a supervised durable tree comes back with its supervisor's bookkeeping", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-durable-"));
    let os = await bootAt(dir);
    const sup = await os.spawn({ name: "sup", kind: "supervisor", supervision: { intensity: 5 }, children: [{ name: "w", kind: "code", logic: "counter" }] });
    const w = os.ps({ name: "w" })[0]!.id;
    await os.send(w, 1);
    await settle();
    await os.shutdown();
    os = await bootAt(dir);
    expect(os.status(sup).status).toBe("running");
    expect(os.status(w)).toMatchObject({ status: "running", parent: sup });
    expect(await os.request(w, "x")).toBe(2);
    // The new incarnation starts once its spawn is journaled (real disk I/O, so no microtask count
    // can stand for it): wait for its transition to running.
    const restarted = new Promise<void>((resolve) => {
      os.events.subscribe({ types: ["agent.transition"], agent: w }, (e) => {
        if ((e.data as { to: string }).to === "running") resolve();
      });
    });
    await os.send(w, "boom"); // still supervised after recovery
    await restarted;
    expect(os.status(w)).toMatchObject({ status: "running", incarnation: 1 });
    await os.shutdown();
  });

  it("an agent whose logic is no longer known is reported, and the others still recover", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-durable-"));
    let os = await bootAt(dir);
    await os.spawn({ name: "ok", kind: "code", logic: "counter" });
    os.kernel.registerLogic("temp", counter);
    await os.spawn({ name: "lost", kind: "code", logic: "temp" });
    await os.shutdown();
    os = await bootAt(dir);
    expect(os.ps().map((p) => p.name)).toEqual(["ok"]);
    await os.shutdown();
  });
});
