/** Shared test drivers for sched/: microtask flushing and a saturated closed-loop simulation. */
import { isAiosError, SimulatedClock } from "../../src/core/index.js";
import { SlotPool, type Lease, type PoolOptions } from "../../src/sched/index.js";

/** Lets promise continuations (grants resolving) run. */
export async function tick(rounds = 6): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

export function newPool(options: Partial<PoolOptions> & Pick<PoolOptions, "policy">, clock = new SimulatedClock()): SlotPool {
  return new SlotPool("p", { capacity: 1, ...options }, clock, undefined);
}

export interface Client {
  readonly agent: string;
  readonly tenant?: string;
  readonly weight?: number;
  readonly tokens: number;
}

/**
 * Keeps `outstanding` requests per client queued on a saturated pool and releases leases in grant
 * order until `grants` have been made; returns tokens granted per agent.
 */
export async function saturate(pool: SlotPool, clients: readonly Client[], outstanding: number, grants: number): Promise<Map<string, number>> {
  const served = new Map<string, number>();
  const running: { lease: Lease; tokens: number }[] = [];
  let made = 0;
  const loop = async (c: Client): Promise<void> => {
    for (;;) {
      let lease: Lease;
      try {
        lease = await pool.acquire({ agent: c.agent, tokens: c.tokens, weight: c.weight ?? 1, ...(c.tenant === undefined ? {} : { tenant: c.tenant }) });
      } catch (e) {
        if (isAiosError(e, "E_SHUTDOWN")) return;
        throw e;
      }
      made++;
      served.set(c.agent, (served.get(c.agent) ?? 0) + c.tokens);
      running.push({ lease, tokens: c.tokens });
    }
  };
  const loops = clients.flatMap((c) => Array.from({ length: outstanding }, () => loop(c)));
  await tick();
  while (made < grants) {
    const r = running.shift();
    if (r === undefined) throw new Error("pool stalled: nothing running");
    r.lease.release({ tokens: r.tokens });
    await tick();
  }
  pool.close();
  await Promise.all(loops);
  return served;
}

export function jain(xs: readonly number[]): number {
  const s = xs.reduce((a, b) => a + b, 0);
  const s2 = xs.reduce((a, b) => a + b * b, 0);
  return (s * s) / (xs.length * s2);
}
