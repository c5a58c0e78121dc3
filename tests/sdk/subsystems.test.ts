/**
 * Subsystems as factories (docs/adr/0021): boot checks the declarations before it builds anything —
 * a need nobody provides, a need or a `uses` provided after its consumer, a name or a door stage
 * given twice — and fails with E_CONFIG naming the subsystem and the missing provider; a build that
 * throws stops what was already built; the door's stages are assembled once from what the
 * subsystems return; `instrument` sees every syscall; `stop` runs in reverse build order. The
 * compiler checks the same order for a stack built with stack().add().
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { boot, isAiosError, silentLogger, stack, zodArgs, type AgentLogic, type AnySubsystem, type AuditRecord, type Subsystem } from "../../src/index.js";

declare module "../../src/abi/index.js" {
  interface SyscallMap {
    TestEcho: { args: { n: number }; result: number };
  }
}

const idle: AgentLogic<null> = { init: () => null, receive: (s) => s };

/** A subsystem providing a service `name`, needing `needs`, logging its build and stop into `log`. */
function sub(name: string, needs: string[], log: string[], extra: { uses?: string[]; fail?: boolean } = {}): AnySubsystem {
  return {
    name,
    needs,
    ...(extra.uses === undefined ? {} : { uses: extra.uses }),
    build: (_host, got: Record<string, unknown>) => {
      log.push(`build ${name}(${Object.keys(got).sort().join(",")})`);
      if (extra.fail === true) throw new Error(`${name} cannot start`);
      return { service: `${name}-service`, stop: () => void log.push(`stop ${name}`) };
    },
  };
}

async function configError(p: Promise<unknown>): Promise<{ message: string; details: unknown }> {
  const e: unknown = await p.then(() => undefined, (err: unknown) => err);
  expect(isAiosError(e, "E_CONFIG")).toBe(true);
  return e as { message: string; details: unknown };
}

describe("boot checks what subsystems declare", () => {
  it("names the missing provider and builds nothing", async () => {
    const log: string[] = [];
    const e = await configError(boot({ stack: "bare", logger: silentLogger, add: [sub("a", [], log), sub("b", ["ledger"], log)] }));
    expect(e.message).toMatch(/subsystem "b" needs "ledger", which no subsystem provides/);
    expect(e.details).toEqual({ subsystem: "b", missing: "ledger" });
    expect(log).toEqual([]);
  });

  it("refuses a need or a use provided only after its consumer, and a name given twice", async () => {
    const log: string[] = [];
    expect((await configError(boot({ stack: "bare", add: [sub("b", ["a"], log), sub("a", [], log)] }))).message).toMatch(/needs "a", which is provided only after it \(put a before b\)/);
    expect((await configError(boot({ stack: "bare", add: [sub("b", [], log, { uses: ["a"] }), sub("a", [], log)] }))).message).toMatch(/uses "a", which is provided only after it/);
    expect((await configError(boot({ stack: "bare", add: [sub("a", [], log), sub("a", [], log)] }))).message).toMatch(/subsystem "a" is given twice/);
    expect(log).toEqual([]);
  });

  it("hands each subsystem the services it declared, in order, and stops them in reverse", async () => {
    const log: string[] = [];
    const os = await boot({ stack: "bare", logger: silentLogger, add: [sub("a", [], log), sub("b", ["a"], log), sub("c", ["b"], log, { uses: ["a", "absent"] })] });
    expect(os.subsystems["c"]).toBe("c-service");
    await os.shutdown();
    expect(log).toEqual(["build a()", "build b(a)", "build c(a,b)", "stop c", "stop b", "stop a"]);
  });

  it("tells `stopping` when shutdown begins, while the agents still run; `stop` once they are stopped", async () => {
    const seen: string[] = [];
    const booted: { os?: Awaited<ReturnType<typeof boot>>; agent?: string } = {};
    const statusOf = (): string => booted.os?.ps({ limit: 10 }).find((a) => a.id === booted.agent)?.status ?? "gone";
    const watcher: AnySubsystem = {
      name: "watcher",
      needs: [],
      build: () => ({ service: null, stopping: () => void seen.push(`stopping: ${statusOf()}`), stop: () => void seen.push(`stop: ${statusOf()}`) }),
    };
    const os = (booted.os = await boot({ stack: "bare", logger: silentLogger, add: [watcher] }));
    booted.agent = await os.spawn({ name: "worker", kind: "code", logic: idle });
    await os.shutdown();
    expect(seen).toEqual(["stopping: running", "stop: killed"]);
  });

  it("stops what was built when a later build throws, and boot rejects with that error", async () => {
    const log: string[] = [];
    await expect(boot({ stack: "bare", logger: silentLogger, add: [sub("a", [], log), sub("b", ["a"], log), sub("c", [], log, { fail: true })] })).rejects.toThrow(/c cannot start/);
    expect(log).toEqual(["build a()", "build b(a)", "build c()", "stop b", "stop a"]);
  });

  it("refuses two providers of one door stage, naming both", async () => {
    const tap = (name: string): Subsystem<string, undefined> => ({ name, needs: [], build: () => ({ service: undefined, stages: { audit: { record: () => undefined } } }) });
    const e = await configError(boot({ stack: "bare", logger: silentLogger, add: [tap("one"), tap("two")] }));
    expect(e.message).toBe(`the door's audit stage is provided by both "one" and "two"`);
  });

  it("assembles the door from the stages returned; instrument sees every subsystem's syscalls", async () => {
    const records: AuditRecord[] = [];
    const seen: string[][] = [];
    const echo: Subsystem<"echo", undefined> = {
      name: "echo",
      needs: [],
      build: () => ({
        service: undefined,
        syscalls: [{ name: "TestEcho", parse: zodArgs("TestEcho", z.object({ n: z.number() })), requires: () => [{ resource: "echo", action: "call" }], sideEffect: false, handler: ({ n }) => n }],
      }),
    };
    const recorder: Subsystem<"recorder", undefined> = {
      name: "recorder",
      needs: [],
      build: () => ({
        service: undefined,
        stages: { audit: { record: (r) => void records.push(r) } },
        // Listed before echo, yet it sees echo's syscall: instrument runs once all are registered.
        instrument: (table) => void seen.push(table.names().filter((n) => n.startsWith("Test"))),
      }),
    };
    const os = await boot({ stack: "bare", logger: silentLogger, add: [recorder, echo] });
    expect(seen).toEqual([["TestEcho"]]);
    const yes = await os.spawn({ name: "yes", kind: "code", logic: idle, capabilities: ["echo#call"] });
    const no = await os.spawn({ name: "no", kind: "code", logic: idle });
    expect(await os.syscall(yes, "TestEcho", { n: 7 })).toBe(7);
    await expect(os.syscall(no, "TestEcho", { n: 7 })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    expect(records.map((r) => `${r.syscall} ${r.decision}`)).toEqual(["TestEcho allowed", "TestEcho denied"]);
    await os.shutdown();
  });

  it("stack: bare with a data directory builds only what is added", async () => {
    const os = await boot({ dataDir: mkdtempSync(join(tmpdir(), "aios-bare-")), stack: "bare", logger: silentLogger });
    expect(os.subsystems).toEqual({});
    expect(() => os.caps).toThrow(/this system has no security subsystem/);
    await os.shutdown();
  });
});

describe("the compiler checks a stack's order", () => {
  it("types what the stack provides and refuses a need that is not there", () => {
    const a: Subsystem<"a", number> = { name: "a", needs: [], build: () => ({ service: 1 }) };
    const b: Subsystem<"b", string, { a: number }> = { name: "b", needs: ["a"], build: (_h, { a: n }) => ({ service: String(n) }) };
    const ok = stack().add(a).add(b);
    expect(ok.list.map((s) => s.name)).toEqual(["a", "b"]);
    // @ts-expect-error -- b needs a, which this stack does not provide: a compile error, not a boot-time surprise
    const bad = stack().add(b);
    expect(bad.list.map((s) => s.name)).toEqual(["b"]);
    // A subsystem the configuration may leave out can only be used, never needed, after it.
    // @ts-expect-error -- a may be absent here
    stack().maybe(Math.random() > 2 ? a : undefined).add(b);
  });
});
