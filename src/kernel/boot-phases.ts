/**
 * Where boot's time went (issue #17 item 6: "a clean breakdown of boot()"): one entry per step of
 * the kernel's start-up — each subsystem's build, reading the recovered state, entering the
 * durable agents, the subsystems' start steps — with its wall time and the process's CPU time over
 * it. Kept on the kernel (`kernel.bootPhases`) and carried by the `kernel.booted` event, so the
 * restart bench and an operator see the same figures.
 *
 * CPU is `process.cpuUsage()`: the whole process, so a step during which the store's writer thread
 * starts is charged that thread's start-up too (on a shared machine the CPU figure, not the wall
 * one, says what a step costs). These are measurements of the real machine for a report, not a
 * clock anything waits on, so they read the real clocks rather than the kernel's injected one.
 */
export interface BootPhase {
  readonly name: string;
  readonly wallMs: number;
  readonly cpuMs: number;
}

const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/** Appends one phase per `measure` to `into`, in the order the steps ran. */
export class BootPhases {
  constructor(private readonly into: BootPhase[]) {}

  async measure<T>(name: string, step: () => T | Promise<T>): Promise<T> {
    const wall0 = performance.now();
    const cpu0 = cpuMs();
    try {
      return await step();
    } finally {
      this.into.push({ name, wallMs: round(performance.now() - wall0), cpuMs: round(cpuMs() - cpu0) });
    }
  }
}

const round = (x: number): number => Math.round(x * 10) / 10;
