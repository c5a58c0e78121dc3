/**
 * Working memory: per-agent key/value scratch state served from RAM, written behind to the store
 * as `working` records (agent scope) after `flushDelayMs` on the injected clock, on flush() and on
 * close. Invariant: after flush() resolves, every set/delete made before it is durable; a value
 * read back after a restart is the last flushed one (writes inside the delay window are the price
 * of write-behind).
 */
import type { Clock, TimerHandle } from "../core/index.js";
import type { MemoryFabric } from "./fabric.js";

interface Slot {
  value: unknown;
  recordId: string | undefined;
  dirty: boolean;
  deleted: boolean;
}

export class WorkingMemory {
  private readonly agents = new Map<string, Map<string, Slot>>();
  private timer: TimerHandle | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly fabric: MemoryFabric,
    private readonly clock: Clock,
    private readonly flushDelayMs = 1000,
    /** Where a failed timed flush is reported (the entry stays dirty and is retried next flush). */
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {}

  private slots(agent: string): Map<string, Slot> {
    let m = this.agents.get(agent);
    if (m === undefined) {
      m = new Map();
      // First touch: load this agent's flushed working records, so state survives a restart.
      for (const r of this.fabric.catalog.live()) {
        if (r.type === "working" && r.scope === "agent" && r.owner === agent) m.set(`\u0000${r.id}`, { value: undefined, recordId: r.id, dirty: false, deleted: false });
      }
      this.agents.set(agent, m);
    }
    return m;
  }

  private async hydrate(agent: string): Promise<Map<string, Slot>> {
    const m = this.slots(agent);
    for (const [k, s] of [...m]) {
      if (!k.startsWith("\u0000") || s.recordId === undefined) continue;
      m.delete(k);
      const rec = await this.fabric.get(s.recordId, { agent });
      const c = rec.content as { key: string; value: unknown };
      m.set(c.key, { value: c.value, recordId: s.recordId, dirty: false, deleted: false });
    }
    return m;
  }

  async get(agent: string, key: string): Promise<unknown> {
    const s = (await this.hydrate(agent)).get(key);
    return s === undefined || s.deleted ? undefined : s.value;
  }

  async keys(agent: string): Promise<string[]> {
    return [...(await this.hydrate(agent))].filter(([, s]) => !s.deleted).map(([k]) => k);
  }

  async set(agent: string, key: string, value: unknown): Promise<void> {
    this.fabric.types.validate("working", { key, value });
    const m = await this.hydrate(agent);
    const s = m.get(key);
    m.set(key, { value, recordId: s?.recordId, dirty: true, deleted: false });
    this.schedule();
  }

  async delete(agent: string, key: string): Promise<void> {
    const m = await this.hydrate(agent);
    const s = m.get(key);
    if (s !== undefined) Object.assign(s, { deleted: true, dirty: true });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(this.onError);
    }, this.flushDelayMs);
  }

  /** Writes every dirty entry to the store. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushNow(), () => this.flushNow());
    return this.flushing;
  }

  private async flushNow(): Promise<void> {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    for (const [agent, m] of this.agents) {
      for (const [key, s] of [...m]) {
        if (!s.dirty) continue;
        s.dirty = false;
        try {
          if (s.deleted) {
            if (s.recordId !== undefined) await this.fabric.delete(s.recordId, { agent });
            m.delete(key);
          } else if (s.recordId === undefined) {
            s.recordId = (await this.fabric.store({ type: "working", content: { key, value: s.value }, agent })).id;
          } else {
            await this.fabric.update(s.recordId, { content: { key, value: s.value }, agent });
          }
        } catch (e) {
          s.dirty = true; // kept for the next flush (e.g. after the agent frees quota)
          throw e;
        }
      }
    }
  }
}
