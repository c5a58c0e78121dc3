/**
 * The fault suite's seeded schedule generator (issue #16 item 7): from one seed, a list of faults at
 * times within the workload's span. The same seed gives the same schedule (mulberry32), so a failure
 * is replayed from its printed seed. Faults may overlap (a pause during a PostgreSQL restart, ...);
 * the harness skips a node fault aimed at a node that is already down.
 */

/** mulberry32: a small seeded generator. */
export function rng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let x = Math.imul(t ^ (t >>> 15), 1 | t);
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

export type Link = "pg" | "nats" | "both";

export type Fault =
  /** kill -9 of a node process; restarted (same node name, new process) after downMs. */
  | { readonly kind: "kill"; readonly node: number; readonly downMs: number }
  /** SIGSTOP, then SIGCONT after ms (past the lease TTL or not). */
  | { readonly kind: "pause"; readonly node: number; readonly ms: number }
  /** The node's link(s) cut at its proxy for ms: held (blackhole) or reset. */
  | { readonly kind: "partition"; readonly node: number; readonly link: Link; readonly mode: "blackhole" | "reset"; readonly ms: number }
  /** PostgreSQL stopped (fast shutdown) or crashed (SIGKILL of every backend), started after downMs. */
  | { readonly kind: "pg-restart"; readonly crash: boolean; readonly downMs: number }
  /** nats-server killed with -9, started again (same port and store) after downMs. */
  | { readonly kind: "nats-restart"; readonly downMs: number }
  /** The node's clock moved by ms (either way) for forMs. */
  | { readonly kind: "skew"; readonly node: number; readonly ms: number; readonly forMs: number };

export interface Step {
  readonly at: number;
  readonly fault: Fault;
}

export interface ScheduleOptions {
  readonly nodes: number;
  readonly faults: number;
  /** The workload's span: faults start within it. */
  readonly spanMs: number;
  readonly ttlMs: number;
  /** The kinds to draw from (default all). */
  readonly kinds?: readonly FaultKind[];
}

export type FaultKind = Fault["kind"];

export const FAULT_KINDS = ["kill", "pause", "partition", "pg-restart", "nats-restart", "skew"] as const;

function between(r: () => number, lo: number, hi: number): number {
  return Math.round(lo + r() * (hi - lo));
}

export function generate(seed: number, o: ScheduleOptions): Step[] {
  const r = rng(seed);
  const steps: Step[] = [];
  const ttl = o.ttlMs;
  for (let i = 0; i < o.faults; i++) {
    // Start in the first 70 % of the span, so every fault's effect overlaps the workload.
    const at = between(r, 300, o.spanMs * 0.7);
    const node = Math.floor(r() * o.nodes);
    const kinds = o.kinds ?? FAULT_KINDS;
    const kind = kinds[Math.floor(r() * kinds.length)] ?? "kill";
    let fault: Fault;
    switch (kind) {
      case "kill":
        fault = { kind, node, downMs: between(r, 0, 2 * ttl) };
        break;
      case "pause":
        // Half of them past the TTL (the node's leases are taken over), half within it.
        fault = { kind, node, ms: r() < 0.5 ? between(r, ttl / 4, ttl * 0.8) : between(r, ttl * 1.2, ttl * 2.5) };
        break;
      case "partition": {
        const link = (["pg", "nats", "both"] as const)[Math.floor(r() * 3)] ?? "pg";
        fault = { kind, node, link, mode: r() < 0.5 ? "blackhole" : "reset", ms: between(r, ttl / 2, ttl * 2.5) };
        break;
      }
      case "pg-restart":
        fault = { kind, crash: r() < 0.5, downMs: between(r, 0, ttl * 1.5) };
        break;
      case "nats-restart":
        fault = { kind, downMs: between(r, 0, ttl * 2) };
        break;
      case "skew":
        fault = { kind, node, ms: (r() < 0.5 ? -1 : 1) * between(r, ttl / 4, ttl * 1.5), forMs: between(r, ttl, ttl * 3) };
        break;
    }
    steps.push({ at, fault });
  }
  return steps.sort((a, b) => a.at - b.at);
}

export function describeFault(f: Fault): string {
  switch (f.kind) {
    case "kill":
      return `kill -9 n${f.node + 1}, restart after ${f.downMs} ms`;
    case "pause":
      return `SIGSTOP n${f.node + 1} for ${f.ms} ms`;
    case "partition":
      return `partition n${f.node + 1} from ${f.link} (${f.mode}) for ${f.ms} ms`;
    case "pg-restart":
      return `PostgreSQL ${f.crash ? "crash (SIGKILL)" : "fast stop"}, down ${f.downMs} ms`;
    case "nats-restart":
      return `nats-server kill -9, down ${f.downMs} ms`;
    case "skew":
      return `clock of n${f.node + 1} ${f.ms > 0 ? "+" : ""}${f.ms} ms for ${f.forMs} ms`;
  }
}
