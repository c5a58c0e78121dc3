/**
 * A TCP proxy the fault suite puts between one node and PostgreSQL (or NATS), so a test can cut
 * that node off on loopback where network namespaces are not allowed (`ip netns` needs root and
 * CAP_NET_ADMIN; where they are, netns.ts cuts the links in the kernel and this proxy only forwards
 * from a namespace link to loopback). Modes:
 *   - "up": bytes flow both ways;
 *   - "blackhole": a partition that drops nothing but delivers nothing: every connection stops
 *     reading (both directions), new connections are accepted and held unconnected; "up" again
 *     delivers what waited, as TCP does after a partition heals (a stale writer's delayed statements
 *     then reach PostgreSQL, which is the case the fence exists for);
 *   - "reset": every connection is destroyed at once and new ones are refused (a crashed link).
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export type ProxyMode = "up" | "blackhole" | "reset";

/** One proxied connection; bytes read while held wait in `toUp` / `toClient` (delivered at "up"). */
interface Pair {
  readonly client: Socket;
  upstream: Socket | undefined;
  toUp: Buffer[];
  toClient: Buffer[];
}

export interface TcpProxy {
  readonly port: number;
  mode(): ProxyMode;
  set(mode: ProxyMode): void;
  close(): Promise<void>;
}

/** A proxy to `host:targetPort`, listening on `listenHost` (loopback, or a namespace link's root end: netns.ts). */
export async function startProxy(targetPort: number, host = "127.0.0.1", listenHost = "127.0.0.1"): Promise<TcpProxy> {
  let mode: ProxyMode = "up";
  const pairs = new Set<Pair>();

  const kill = (p: Pair): void => {
    pairs.delete(p);
    p.client.destroy();
    p.upstream?.destroy();
  };

  const flush = (p: Pair): void => {
    const up = p.upstream;
    if (up === undefined) return;
    for (const b of p.toUp.splice(0)) up.write(b);
    for (const b of p.toClient.splice(0)) p.client.write(b);
  };

  const wire = (p: Pair): void => {
    const up = connect(targetPort, host);
    p.upstream = up;
    up.on("data", (b: Buffer) => (mode === "up" ? p.client.write(b) : p.toClient.push(b)));
    up.on("error", () => kill(p));
    up.on("close", () => kill(p));
    flush(p);
  };

  const server: Server = createServer((client) => {
    const p: Pair = { client, upstream: undefined, toUp: [], toClient: [] };
    client.on("error", () => kill(p));
    client.on("close", () => kill(p));
    if (mode === "reset") {
      client.destroy();
      return;
    }
    pairs.add(p);
    client.on("data", (b: Buffer) => (mode === "up" && p.upstream !== undefined ? p.upstream.write(b) : p.toUp.push(b)));
    if (mode === "up") wire(p);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, listenHost, () => resolve());
  });
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("proxy: no port");

  return {
    port: addr.port,
    mode: () => mode,
    set(next) {
      if (next === mode) return;
      mode = next;
      for (const p of [...pairs]) {
        if (next === "reset") kill(p);
        else if (next === "up") {
          if (p.upstream === undefined) wire(p);
          else flush(p);
        }
      }
    },
    async close() {
      for (const p of [...pairs]) kill(p);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
