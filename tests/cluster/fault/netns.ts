/**
 * Partitions in network namespaces (issue #16 item 7, "with `ip netns` where the machine allows it").
 * Each fault node runs in a namespace of its own (`ip netns exec`) whose only ways out are three veth
 * pairs: one to PostgreSQL, one to NATS, one to the effect sink. The root end of each pair carries a
 * private /30 address on which a forwarder (tcp-proxy.ts, always "up") passes bytes to the server on
 * loopback; nothing listens on an interface that leaves the machine. The kernel does the cutting:
 *
 *   - "blackhole": the root end of the link goes down. Packets are dropped both ways; TCP retransmits
 *     and the connections stall until the link comes back, as across a real partition, after which
 *     what the node had queued (a stale owner's delayed statements) reaches PostgreSQL;
 *   - "reset": every socket on the link is destroyed at both ends (`ss -K`) and an `unreachable` route in
 *     the node's namespace refuses new connections at once (a crashed link);
 *   - "up": the link is up, the route gone.
 *
 * The sink's link is never cut (it stands for the outside world). Needs root (CAP_NET_ADMIN and
 * CAP_SYS_ADMIN): `netnsUsable()` says whether this machine allows it; the harness falls back to the
 * proxies' own partitions (tcp-proxy.ts) when it does not, and says which it used.
 */
import { execFile } from "node:child_process";
import { randomInt } from "node:crypto";
import { promisify } from "node:util";
import { startProxy, type ProxyMode, type TcpProxy } from "./tcp-proxy.js";

const run = promisify(execFile);

async function ip(...args: string[]): Promise<void> {
  await run("ip", args);
}

/** Whether `ip netns` works here (root with CAP_NET_ADMIN): a namespace and a veth are made and removed. */
export async function netnsUsable(): Promise<boolean> {
  const ns = `aiosfs-probe-${process.pid}`;
  try {
    await ip("netns", "add", ns);
    try {
      await ip("link", "add", `afp${process.pid % 100_000}`, "type", "veth", "peer", "name", "p0", "netns", ns);
      await ip("link", "del", `afp${process.pid % 100_000}`);
      return true;
    } finally {
      await ip("netns", "del", ns);
    }
  } catch {
    return false;
  }
}

/** Removes the namespaces (and with them their links) of fault harnesses that are no longer running. */
export async function removeStale(): Promise<string[]> {
  const { stdout } = await run("ip", ["netns", "list"]);
  const gone: string[] = [];
  for (const line of stdout.split("\n")) {
    const m = /^(aiosfs-(\d+)-\d+)\b/.exec(line);
    if (m === null) continue;
    const [, ns = "", pid = ""] = m;
    if (alive(Number(pid))) continue;
    await run("ip", ["netns", "del", ns]).catch(() => undefined);
    gone.push(ns);
  }
  return gone;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The targets a node reaches through its namespace's links. */
export type Target = "pg" | "nats" | "sink";
const TARGETS: readonly Target[] = ["pg", "nats", "sink"];

interface Wire {
  /** The root end's interface name. */
  readonly dev: string;
  /** The root end's address (the forwarder listens here). */
  readonly addr: string;
  readonly proxy: TcpProxy;
  mode: ProxyMode;
  /**
   * The cut being made: changes to one link run one after another. Two at once (a partition's heal
   * beside another fault's on the same link) both undid the same route, and the second failed.
   */
  changing: Promise<void>;
}

/** One node's namespace and its links; `close` removes them (and with the namespace, its veth ends). */
export interface NodeNet {
  readonly ns: string;
  /** host:port the node uses for `target`. */
  endpoint(target: Target): { host: string; port: number };
  set(target: Exclude<Target, "sink">, mode: ProxyMode): Promise<void>;
  close(): Promise<void>;
}

/** A subnet 10.A.B.0/24 per harness process: A and B drawn once, checked against the host's addresses. */
let subnet: string | undefined;
let nextNode = 0;

async function pickSubnet(): Promise<string> {
  if (subnet !== undefined) return subnet;
  const { stdout } = await run("ip", ["-o", "addr"]);
  for (;;) {
    const s = `10.${randomInt(100, 250)}.${randomInt(0, 250)}`;
    if (!stdout.includes(` ${s}.`)) return (subnet = s);
  }
}

/**
 * A namespace for one node with links to PostgreSQL, NATS and the sink (listening on loopback at the
 * given ports).
 */
export async function nodeNet(ports: Readonly<Record<Target, number>>): Promise<NodeNet> {
  const s = await pickSubnet();
  const k = nextNode++ % 15;
  const tag = `${process.pid % 10_000}${k.toString(36)}`;
  const ns = `aiosfs-${process.pid}-${k}`;
  await run("ip", ["netns", "del", ns]).catch(() => undefined); // left by a killed harness
  await ip("netns", "add", ns);
  const wires = new Map<Target, Wire>();
  try {
    await ip("-n", ns, "link", "set", "lo", "up");
    for (const [i, t] of TARGETS.entries()) {
      // /30 per link: root end .1, node end .2 (offset 16 per node, 4 per link).
      const base = k * 16 + i * 4;
      const addr = `${s}.${base + 1}`;
      const dev = `af${tag}${t[0] ?? ""}`;
      await run("ip", ["link", "del", dev]).catch(() => undefined);
      await ip("link", "add", dev, "type", "veth", "peer", "name", `n${t}`, "netns", ns);
      await ip("addr", "add", `${addr}/30`, "dev", dev);
      await ip("link", "set", dev, "up");
      await ip("-n", ns, "addr", "add", `${s}.${base + 2}/30`, "dev", `n${t}`);
      await ip("-n", ns, "link", "set", `n${t}`, "up");
      const proxy = await startProxy(ports[t], "127.0.0.1", addr);
      wires.set(t, { dev, addr, proxy, mode: "up", changing: Promise.resolve() });
    }
  } catch (e) {
    for (const w of wires.values()) await w.proxy.close();
    await run("ip", ["netns", "del", ns]).catch(() => undefined);
    throw e;
  }
  const wire = (t: Target): Wire => {
    const w = wires.get(t);
    if (w === undefined) throw new Error(`no link to ${t}`);
    return w;
  };
  return {
    ns,
    endpoint: (t) => ({ host: wire(t).addr, port: wire(t).proxy.port }),
    set(t, mode) {
      const w = wire(t);
      const change = async (): Promise<void> => {
        if (w.mode === mode) return;
        // Undo the current cut, then make the new one.
        if (w.mode === "blackhole") await ip("link", "set", w.dev, "up");
        if (w.mode === "reset") await ip("-n", ns, "route", "del", "unreachable", `${w.addr}/32`);
        w.mode = mode;
        if (mode === "blackhole") await ip("link", "set", w.dev, "down");
        if (mode === "reset") {
          await ip("-n", ns, "route", "add", "unreachable", `${w.addr}/32`);
          await run("ip", ["netns", "exec", ns, "ss", "-K", "dst", w.addr]);
          await run("ss", ["-K", "src", w.addr]);
        }
      };
      const next = w.changing.then(change);
      w.changing = next.catch(() => undefined);
      return next;
    },
    async close() {
      for (const w of wires.values()) await w.proxy.close();
      // Deleting the namespace deletes the node ends, and with them the root ends of the pairs.
      await run("ip", ["netns", "del", ns]).catch(() => undefined);
    },
  };
}
