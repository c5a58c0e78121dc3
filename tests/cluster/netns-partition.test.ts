/**
 * The fault suite's partitions in network namespaces (tests/cluster/fault/netns.ts), checked from
 * inside a namespace with a real TCP client against a real echo server on loopback: the link carries
 * bytes when up; a blackhole drops them (a connection attempt gets no answer, an open connection
 * stalls and goes on when the link comes back); a reset aborts open connections at once and refuses
 * new ones; up again, everything flows. Then one seeded schedule of partitions only runs against
 * three node processes in namespaces, judged by the fault checker.
 *
 * Namespaces need root with CAP_NET_ADMIN, as the sandbox tests need root: a machine that refuses
 * them fails here (never skipped). The soak falls back to TCP proxies there (`--net=proxy` forces it).
 */
import { execFile, spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSchedule, startEnv } from "./fault/harness.js";
import { netnsUsable, nodeNet, removeStale, type NodeNet } from "./fault/netns.js";

const run = promisify(execFile);

/** One connection attempt from inside `ns`: "ok" (echoed), "timeout" (no answer in 700 ms) or the error code. */
const PROBE = `
const net = require("node:net");
const s = net.connect(Number(process.argv[2]), process.argv[1]);
const t = setTimeout(() => { console.log("timeout"); process.exit(0); }, 700);
s.on("connect", () => s.write("ping"));
s.on("data", (b) => { console.log(String(b) === "ping" ? "ok" : "bad"); clearTimeout(t); process.exit(0); });
s.on("error", (e) => { console.log(e.code); clearTimeout(t); process.exit(0); });
`;

async function probe(net: NodeNet): Promise<string> {
  const { host, port } = net.endpoint("pg");
  const { stdout } = await run("ip", ["netns", "exec", net.ns, process.execPath, "-e", PROBE, host, String(port)]);
  return stdout.trim();
}

/** A connection held open from inside `ns`; each line the client prints (echoes, errors) is collected. */
function holdOpen(net: NodeNet): { lines: string[]; send(s: string): void; stop(): void } {
  const { host, port } = net.endpoint("pg");
  const script = `
const net = require("node:net");
const s = net.connect(Number(process.argv[2]), process.argv[1]);
s.on("connect", () => console.log("connected"));
s.on("data", (b) => console.log("echo " + String(b)));
s.on("error", (e) => console.log("error " + e.code));
process.stdin.on("data", (b) => s.write(String(b).trim()));
`;
  const child = spawn("ip", ["netns", "exec", net.ns, process.execPath, "-e", script, host, String(port)], { stdio: ["pipe", "pipe", "inherit"] });
  const lines: string[] = [];
  createInterface({ input: child.stdout }).on("line", (l) => lines.push(l));
  return { lines, send: (s) => child.stdin.write(`${s}\n`), stop: () => child.kill("SIGKILL") };
}

async function until(what: string, ok: () => boolean, ms = 5_000): Promise<void> {
  for (const t0 = Date.now(); Date.now() - t0 < ms; ) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`never: ${what}`);
}

describe("partitions between network namespaces", () => {
  let echo: Server;
  let net: NodeNet;
  beforeAll(async () => {
    // The machines this suite runs on are root (bubblewrap and namespaces need it): no fallback here.
    if (!(await netnsUsable())) throw new Error(`ip netns is not usable here (uid ${String(process.getuid?.())}): run the suite as root with CAP_NET_ADMIN`);
    echo = createServer((c) => c.on("data", (b) => c.write(b)).on("error", () => undefined));
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", () => r()));
    const port = (echo.address() as { port: number }).port;
    net = await nodeNet({ pg: port, nats: port, sink: port });
  });
  afterAll(async () => {
    await net.close();
    await new Promise<void>((r) => echo.close(() => r()));
    const { stdout } = await run("ip", ["netns", "list"]);
    expect(stdout).not.toContain(net.ns);
  });

  it("removes the namespaces of a harness that no longer runs, and only those", async () => {
    // A pid that cannot be running (above the kernel's pid_max) stands for a killed harness.
    const stale = "aiosfs-99999999-0";
    await run("ip", ["netns", "add", stale]);
    expect(await removeStale()).toEqual([stale]);
    const { stdout } = await run("ip", ["netns", "list"]);
    expect(stdout).not.toContain(stale);
    expect(stdout).toContain(net.ns);
  });

  it("up carries bytes; blackhole drops them; reset refuses at once; up again carries them", async () => {
    expect(await probe(net)).toBe("ok");
    await net.set("pg", "blackhole");
    expect(await probe(net)).toBe("timeout");
    await net.set("pg", "reset");
    expect(await probe(net)).toBe("EHOSTUNREACH");
    await net.set("pg", "up");
    expect(await probe(net)).toBe("ok");
  });

  it("an open connection stalls in a blackhole and goes on after it; a reset aborts it", async () => {
    const c = holdOpen(net);
    try {
      await until("connected", () => c.lines.includes("connected"));
      await net.set("pg", "blackhole");
      c.send("held");
      await new Promise((r) => setTimeout(r, 500));
      expect(c.lines).not.toContain("echo held");
      await net.set("pg", "up");
      // TCP retransmits what waited once the link is back.
      await until("the held bytes arrive", () => c.lines.includes("echo held"), 10_000);
      await net.set("pg", "reset");
      await until("the connection is aborted", () => c.lines.some((l) => l.startsWith("error ")));
      expect(c.lines.find((l) => l.startsWith("error "))).toBe("error ECONNABORTED");
    } finally {
      c.stop();
      await net.set("pg", "up");
    }
  });

  it("a seeded schedule of partitions against three nodes in namespaces: nothing lost, nothing twice", async () => {
    const env = await startEnv(1_000);
    try {
      expect(env.net).toBe("netns");
      const seed = Number(process.env["FAULT_SEED"] ?? Date.now() % 1_000_000);
      const lines: string[] = [];
      const r = await runSchedule(env, seed, { spanMs: 5_000, kinds: ["partition"], log: (l) => lines.push(l) });
      console.log(`netns partition schedule seed ${seed}: ${r.acked}/${r.sends} acknowledged\n${r.steps.join("\n")}`);
      expect(r.acked).toBeGreaterThan(0);
      const { retried: _, ...violations } = r.verdict;
      expect(violations, `seed ${seed}\n${lines.join("\n")}`).toEqual({ lost: [], duplicated: [], dupEffects: [], missingEffects: [], orphanEffects: [], epochOrder: [], sharedEpochs: [], slots: [] });
    } finally {
      await env.close();
    }
    // Every namespace of the schedule's nodes is gone (the first test's stays until afterAll).
    const { stdout } = await run("ip", ["netns", "list"]);
    expect(stdout.split("\n").filter((l) => l.startsWith(`aiosfs-${process.pid}-`) && !l.startsWith(`${net.ns} `) && l.trim() !== net.ns)).toEqual([]);
  }, 150_000);
});
