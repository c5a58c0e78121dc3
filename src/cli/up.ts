/**
 * `aios up`: the kernel as a long-lived daemon with the HTTP API. Order: refuse when a live daemon
 * already serves the data dir; make sure the port is free (before booting, so a taken port costs
 * nothing); boot (the store's directory lock refuses a second kernel, naming the holder's pid); serve;
 * write daemon.json. SIGTERM or SIGINT drains: new requests get 503, running steps finish, the
 * journal is flushed, the kernel shuts down, daemon.json is removed, and the process exits 0.
 */
import { createServer } from "node:net";
import { AiosError } from "../core/index.js";
import { ControlPlane, DEFAULT_HOST, DEFAULT_PORT, ensureApiToken, findLiveDaemon, mcpEndpointFor, publicOrigin, removeDaemonInfo, startA2a, startGateway, tokenPath, writeDaemonInfo, type Gateway } from "../gateway/index.js";
import type { Aios } from "../sdk/index.js";
import { otlpTracesUrl } from "../observe/index.js";
import type { CliContext } from "./context.js";
import type { ClusterFlags, ClusterMember } from "./cluster-commands.js";
import { bootHost, drainKernel } from "./kernel-host.js";
import { storeLines } from "./store-commands.js";

import { VERSION } from "./version.js";

export interface UpOptions extends ClusterFlags {
  readonly port?: number;
  readonly host?: string;
  readonly models?: string;
  readonly policy?: string;
  /** Tracing on, exporting to this OTLP/HTTP collector (wins over config.yaml's `tracing`). */
  readonly otlp?: string;
  readonly traceSample?: number;
  /** The dashboard's public origin behind a TLS proxy (gateway/web/auth.ts). */
  readonly publicUrl?: string;
}

function portFree(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", (e: NodeJS.ErrnoException) => {
      const msg = e.code === "EADDRINUSE" ? `port ${port} on ${host} is already in use (another daemon or program); choose another with --port` : `cannot listen on ${host}:${port}: ${e.message}`;
      reject(new AiosError("E_CONFIG", msg, { cause: e, details: { path: "port", port, host } }));
    });
    s.listen(port, host, () => s.close(() => resolve()));
  });
}

/** Runs until a signal; resolves with the exit code once drained. */
export async function up(ctx: CliContext, o: UpOptions): Promise<number> {
  const { dataDir, out } = ctx;
  const host = o.host ?? DEFAULT_HOST;
  const port = o.port ?? DEFAULT_PORT;
  const live = findLiveDaemon(dataDir);
  if (live !== undefined) {
    throw new AiosError("E_CONFLICT", `a daemon (pid ${live.pid}) already serves ${dataDir} on ${live.host}:${live.port}`, { retryable: false, details: { holderPid: live.pid } });
  }
  if (o.traceSample !== undefined && o.otlp === undefined) throw new AiosError("E_INVALID_ARG", "--trace-sample needs --otlp (or set tracing.sampleRatio in config.yaml)", { details: { path: "--trace-sample" } });
  const tracing = o.otlp === undefined ? undefined : { endpoint: otlpTracesUrl(o.otlp, "--otlp"), ...(o.traceSample === undefined ? {} : { sampleRatio: o.traceSample }) };
  if (o.publicUrl !== undefined) publicOrigin(o.publicUrl);
  // Flags checked before anything boots; the cluster code (pg, nats) loads only with --cluster.
  if (o.cluster === undefined) {
    const stray = (["postgres", "nats", "node", "capacity", "tags", "leaseTtl"] as const).find((f) => o[f] !== undefined);
    const flag = stray === "leaseTtl" ? "lease-ttl" : stray;
    if (flag !== undefined) throw new AiosError("E_INVALID_ARG", `--${flag} needs --cluster <name>`, { details: { path: `--${flag}` } });
  }
  const cluster = o.cluster === undefined ? undefined : await import("./cluster-commands.js");
  const journal = cluster?.clusterSubsystemFor(ctx, o);
  await portFree(host, port);
  const token = ensureApiToken(dataDir);
  const os = await out.progress("booting the kernel", bootHost({
    dataDir, ...(journal === undefined ? {} : { journal }), ...(o.models === undefined ? {} : { modelsFile: o.models }), ...(o.policy === undefined ? {} : { policyFile: o.policy }), ...(tracing === undefined ? {} : { tracing }),
  }));
  const plane = new ControlPlane(os);
  let gw: Gateway;
  try {
    // MCP over Streamable HTTP at /mcp: sessions act through the same dispatcher as agents.
    const mcp = mcpEndpointFor(os, { apiToken: token, version: VERSION });
    os.kernel.onShutdown(() => mcp.close());
    // A2A at /.well-known/agent-card.json and /a2a/*: tasks in <dataDir>/a2a.db, every operation through the door.
    const a2a = startA2a(os, { apiToken: token, version: VERSION });
    os.kernel.onShutdown(() => a2a.close());
    gw = await startGateway(plane, { token, host, port, version: VERSION, mcp, a2a: a2a.endpoint, onInternalError: (e, where) => os.kernel.kernelError(e, `HTTP API ${where}`), dashboard: { os, ...(o.publicUrl === undefined ? {} : { publicUrl: o.publicUrl }) } });
  } catch (e) {
    plane.close();
    await drainKernel(os, "the API could not start");
    throw e;
  }
  let member: ClusterMember | undefined;
  try {
    member = await cluster?.joinCluster(os, gw.url);
  } catch (e) {
    plane.close();
    await gw.close().catch(() => undefined);
    await drainKernel(os, "the node could not join its cluster");
    throw e;
  }
  if (member !== undefined) out.note(`cluster ${member.cluster}: joined as node ${member.node.name}`);
  writeDaemonInfo(dataDir, { pid: process.pid, host: gw.host, port: gw.port, dataDir, startedAt: Date.now(), version: VERSION });
  const agents = os.ps({ status: ["running", "paused"] }).length;
  out.note(`aios daemon ${process.pid}: data dir ${dataDir}; ${agents} agent(s) recovered; API token in ${tokenPath(dataDir)}`);
  // Damage repaired at this boot, or a loss an operator accepted, is said on every start.
  const health = os.storeHealth;
  if (health !== undefined && storeLines(health).damaged) for (const l of storeLines(health).lines) out.note(`store: ${l}`);
  // The one stdout line: scripts and tests wait for it rather than polling.
  if (out.json) out.line(JSON.stringify({ listening: gw.url, pid: process.pid, port: gw.port }));
  else out.line(`listening on ${gw.url} (pid ${process.pid}); dashboard at ${gw.url}/ (log in with the API token); Ctrl-C or SIGTERM drains and stops`);
  return waitForSignal(ctx, os, plane, gw);
}

function waitForSignal(ctx: CliContext, os: Aios, plane: ControlPlane, gw: Gateway): Promise<number> {
  // A daemon never dies of a stray rejection (agent code, a library): it is a kernel error event,
  // logged and visible on the event stream, and the daemon keeps serving.
  process.on("unhandledRejection", (e: unknown) => os.kernel.kernelError(e, "unhandled rejection"));
  return new Promise((resolve) => {
    let draining = false;
    const onSignal = (sig: NodeJS.Signals): void => {
      if (draining) {
        ctx.out.note(`${sig}: already draining`);
        return;
      }
      draining = true;
      ctx.out.note(`${sig}: draining — no new work admitted, running steps finish, the journal is flushed`);
      gw.drain();
      // A cluster node leaves in the kernel's shutdown, after its agents stopped and its journal was
      // flushed: the leases are released, so other nodes take the agents at once.
      drainKernel(os, `daemon ${sig}`)
        .then(async () => {
          plane.close();
          await gw.close();
          removeDaemonInfo(ctx.dataDir);
          ctx.out.note("drained; bye");
          resolve(0);
        })
        .catch(async (e: unknown) => {
          ctx.out.error(e);
          await gw.close().catch(() => undefined);
          removeDaemonInfo(ctx.dataDir);
          resolve(1);
        });
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}
