/**
 * Behavioural anomaly detection per agent (DESIGN's "behavioural analysis" layer): each agent is
 * compared with its own past, not with a global norm. Its activity is cut into windows (`windowMs`
 * of kernel time); when a window closes, three figures are compared with exponentially weighted
 * baselines of that agent's earlier windows:
 *  - syscall mix: total variation distance between the window's share of each syscall and the
 *    baseline shares (0 = same mix, 1 = disjoint);
 *  - denial rate: refused calls / calls, as a z-score against the baseline mean and variance;
 *  - spend: model cost in the window, as a z-score against the baseline.
 * After `warmup` windows, a figure past its limit raises `security.anomaly` (severity warn) naming
 * the kind, the observed value and the baseline; the window then joins the baseline (a lasting
 * change becomes the new normal instead of alarming forever). State per agent is a few numbers and
 * one small map keyed by syscall name, and once a window was learned the baselines (made then: an
 * agent that ends inside its first window, as a run's does, never needs them); it is dropped when
 * the agent ends.
 */
import type { AgentId, AnyKernelEvent, EventBus, EventDataMap, EventType } from "../core/index.js";
import "./events.js";

export interface AnomalyOptions {
  readonly windowMs?: number;
  /** Windows seen before an agent can be judged (default 5). */
  readonly warmup?: number;
  /** EWMA weight of the newest window (default 0.3). */
  readonly alpha?: number;
  /** Total variation distance that counts as a changed mix (default 0.5). */
  readonly mixLimit?: number;
  /** z-score that counts as a changed denial rate or spend (default 4). */
  readonly zLimit?: number;
  /** Calls a window needs before it is judged (default 10): a quiet window says little. */
  readonly minCalls?: number;
}

/** One EWMA mean and variance (West's incremental form). */
class Ewma {
  mean = 0;
  variance = 0;
  n = 0;
  constructor(private readonly alpha: number) {}
  add(x: number): void {
    if (this.n++ === 0) {
      this.mean = x;
      return;
    }
    const d = x - this.mean;
    this.mean += this.alpha * d;
    this.variance = (1 - this.alpha) * (this.variance + this.alpha * d * d);
  }
  /** How many standard deviations `x` is above the mean; a floor keeps a flat history from dividing by ~0. */
  z(x: number, floor: number): number {
    return (x - this.mean) / Math.max(Math.sqrt(this.variance), floor);
  }
}

/** What an agent's closed windows taught: made when its first window closes with enough in it. */
interface Learned {
  readonly share: Map<string, number>;
  readonly denial: Ewma;
  readonly cost: Ewma;
}

interface AgentBaseline {
  windowStart: number;
  windows: number;
  calls: number;
  denied: number;
  spend: number;
  readonly mix: Map<string, number>;
  /** Undefined until a window was learned: most agents (a run's, a request's) end inside their first window. */
  learned: Learned | undefined;
}

export class AnomalyDetector {
  private readonly agents = new Map<AgentId, AgentBaseline>();
  private readonly windowMs: number;
  private readonly warmup: number;
  private readonly alpha: number;
  private readonly mixLimit: number;
  private readonly zLimit: number;
  private readonly minCalls: number;
  /** Anomalies raised (also sent as events), for the metrics. */
  onAnomaly: ((kind: string) => void) | undefined;

  constructor(
    private readonly events: EventBus,
    o: AnomalyOptions = {},
  ) {
    this.windowMs = o.windowMs ?? 60_000;
    this.warmup = o.warmup ?? 5;
    this.alpha = o.alpha ?? 0.3;
    this.mixLimit = o.mixLimit ?? 0.5;
    this.zLimit = o.zLimit ?? 4;
    this.minCalls = o.minCalls ?? 10;
  }

  /** The event types the detector reads. */
  static readonly TYPES = ["syscall.completed", "syscall.denied", "model.call", "agent.transition"] as const;

  observe(e: AnyKernelEvent): void {
    if (e.agent !== undefined) this.tell(e.type, e.data, e.agent, e.ts);
  }

  /** One event of `agent`'s, by its type and data, at `now` (kernel time): a subscriber's or a tap's (metrics-feed.ts). */
  tell<T extends EventType>(type: T, data: EventDataMap[T], agent: AgentId, now: number): void {
    switch (type) {
      case "agent.transition": {
        const to = (data as EventDataMap["agent.transition"]).to;
        if (to === "completed" || to === "failed" || to === "killed") this.agents.delete(agent);
        return;
      }
      case "syscall.completed":
        this.call(agent, (data as EventDataMap["syscall.completed"]).name, false, now);
        return;
      case "syscall.denied":
        this.call(agent, (data as EventDataMap["syscall.denied"]).name, true, now);
        return;
      case "model.call":
        this.windowAt(agent, now).spend += (data as EventDataMap["model.call"]).cost;
        return;
      default:
        return;
    }
  }

  /** One syscall of `agent` at `now` (kernel time), refused or not: the door's record stage tells it (observer.ts) or its event does. */
  call(agent: AgentId, name: string, denied: boolean, now: number): void {
    const b = this.windowAt(agent, now);
    b.calls++;
    if (denied) b.denied++;
    b.mix.set(name, (b.mix.get(name) ?? 0) + 1);
  }

  /** The agent's baseline, its window closed first when `now` is past it. */
  private windowAt(agent: AgentId, now: number): AgentBaseline {
    const b = this.baselineOf(agent, now);
    if (now >= b.windowStart + this.windowMs) this.close(agent, b, now);
    return b;
  }

  /** Closes every window that ended before `now` (the plugin's timer; agents that went quiet). */
  tick(now: number): void {
    for (const [agent, b] of this.agents) if (now >= b.windowStart + this.windowMs) this.close(agent, b, now);
  }

  get tracked(): number {
    return this.agents.size;
  }

  private baselineOf(agent: AgentId, now: number): AgentBaseline {
    let b = this.agents.get(agent);
    if (b === undefined) {
      b = { windowStart: now, windows: 0, calls: 0, denied: 0, spend: 0, mix: new Map(), learned: undefined };
      this.agents.set(agent, b);
    }
    return b;
  }

  private close(agent: AgentId, b: AgentBaseline, now: number): void {
    if (b.calls >= this.minCalls || b.spend > 0) {
      const rate = b.calls === 0 ? 0 : b.denied / b.calls;
      const learned = (b.learned ??= { share: new Map(), denial: new Ewma(this.alpha), cost: new Ewma(this.alpha) });
      if (b.windows >= this.warmup) this.judge(agent, b, learned, rate);
      this.learn(b, learned, rate);
    }
    // Windows are aligned to the first one, so a burst after silence starts a fresh window.
    b.windowStart += Math.floor((now - b.windowStart) / this.windowMs) * this.windowMs;
    b.calls = 0;
    b.denied = 0;
    b.spend = 0;
    b.mix.clear();
  }

  private judge(agent: AgentId, b: AgentBaseline, l: Learned, rate: number): void {
    if (b.calls >= this.minCalls) {
      const tvd = this.distance(b, l);
      if (tvd > this.mixLimit) this.raise(agent, "syscall_mix", tvd, tvd, 0, `mix moved ${tvd.toFixed(2)} from the baseline: ${[...b.mix.entries()].map(([k, v]) => `${k}=${v}`).join(", ")}`);
      const z = l.denial.z(rate, 0.02);
      if (z > this.zLimit && rate > 0.1) this.raise(agent, "denial_rate", z, rate, l.denial.mean, `${b.denied} of ${b.calls} calls refused`);
    }
    const zc = l.cost.z(b.spend, Math.max(0.05 * l.cost.mean, 1e-9));
    if (zc > this.zLimit && b.spend > 2 * l.cost.mean) this.raise(agent, "spend", zc, b.spend, l.cost.mean, `spent ${b.spend} in one window`);
  }

  private learn(b: AgentBaseline, l: Learned, rate: number): void {
    b.windows++;
    l.denial.add(rate);
    l.cost.add(b.spend);
    if (b.calls === 0) return;
    const first = l.share.size === 0;
    for (const name of new Set([...l.share.keys(), ...b.mix.keys()])) {
      const now = (b.mix.get(name) ?? 0) / b.calls;
      const was = l.share.get(name) ?? 0;
      const next = first ? now : was + this.alpha * (now - was);
      if (next < 1e-4) l.share.delete(name);
      else l.share.set(name, next);
    }
  }

  /** Total variation distance between the window's syscall shares and the baseline's. */
  private distance(b: AgentBaseline, l: Learned): number {
    let d = 0;
    for (const name of new Set([...l.share.keys(), ...b.mix.keys()])) d += Math.abs((b.mix.get(name) ?? 0) / b.calls - (l.share.get(name) ?? 0));
    return d / 2;
  }

  private raise(agent: AgentId, kind: "syscall_mix" | "denial_rate" | "spend", score: number, observed: number, baseline: number, detail: string): void {
    this.onAnomaly?.(kind);
    this.events.emit("security.anomaly", { kind, score, observed, baseline, windowMs: this.windowMs, detail }, agent, "warn");
  }
}
