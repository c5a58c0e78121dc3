/**
 * Assembly of a kernel from subsystem factories (abi/subsystem.ts), called once by the composition
 * root. `checkDeclarations` refuses a list whose declarations do not hold — a need no subsystem
 * before it provides, a `uses` provided after it, a name or a door stage provided twice — before
 * anything is built, with an E_CONFIG naming the subsystem and the missing provider. `assemble`
 * builds each in order with the host port and the services it declared, registers what it returns,
 * and sets the door's stages once, after the last one; if a build throws, what was built is stopped.
 */
import { AiosError } from "../core/index.js";
import type { AnySubsystem, DoorStages, Provision, StageName, SubsystemHost } from "../abi/index.js";
import type { Kernel } from "./kernel.js";
import { subsystemHost } from "./host.js";
import type { BootPhases } from "./boot-phases.js";

/** Throws E_CONFIG when the list's declarations cannot be satisfied in this order. */
export function checkDeclarations(list: readonly AnySubsystem[]): void {
  const at = new Map<string, number>();
  list.forEach((s, i) => {
    if (at.has(s.name)) throw new AiosError("E_CONFIG", `subsystem "${s.name}" is given twice`, { details: { subsystem: s.name } });
    at.set(s.name, i);
  });
  list.forEach((s, i) => {
    for (const need of s.needs) {
      const j = at.get(need);
      if (j === undefined) {
        throw new AiosError("E_CONFIG", `subsystem "${s.name}" needs "${need}", which no subsystem provides (add the ${need} subsystem before it)`, { details: { subsystem: s.name, missing: need } });
      }
      if (j > i) {
        throw new AiosError("E_CONFIG", `subsystem "${s.name}" needs "${need}", which is provided only after it (put ${need} before ${s.name})`, { details: { subsystem: s.name, missing: need } });
      }
    }
    for (const use of s.uses ?? []) {
      const j = at.get(use);
      if (j !== undefined && j > i) {
        throw new AiosError("E_CONFIG", `subsystem "${s.name}" uses "${use}", which is provided only after it (put ${use} before ${s.name})`, { details: { subsystem: s.name, misordered: use } });
      }
    }
  });
}

/** Builds the subsystems into the kernel; returns their services by name and their start steps. */
export async function assemble(kernel: Kernel, list: readonly AnySubsystem[], phases?: BootPhases): Promise<{ services: ReadonlyMap<string, unknown>; start: () => void }> {
  checkDeclarations(list);
  const host = subsystemHost(kernel);
  const services = new Map<string, unknown>();
  const by: Partial<Record<StageName, string>> = {};
  let stages: DoorStages = {};
  const instruments: NonNullable<Provision<unknown>["instrument"]>[] = [];
  const settles: NonNullable<Provision<unknown>["settle"]>[] = [];
  const starts: NonNullable<Provision<unknown>["start"]>[] = [];
  const stops: { name: string; stop: () => void | Promise<void> }[] = [];
  try {
    for (const s of list) {
      const needs: Record<string, unknown> = {};
      for (const n of [...s.needs, ...(s.uses ?? [])]) if (services.has(n)) needs[n] = services.get(n);
      // The one dynamic seam: checkDeclarations proved every name in `needs` is present and built.
      const p = phases === undefined ? await s.build(host, needs as never) : await phases.measure(`build ${s.name}`, () => s.build(host, needs as never));
      if (p.stop !== undefined) stops.push({ name: s.name, stop: p.stop });
      services.set(s.name, p.service);
      const provided = p.stages ?? {};
      for (const name of Object.keys(provided) as StageName[]) {
        if (provided[name] === undefined) continue;
        const before = by[name];
        if (before !== undefined) {
          throw new AiosError("E_CONFIG", `the door's ${name} stage is provided by both "${before}" and "${s.name}"`, { details: { stage: name, subsystems: [before, s.name] } });
        }
        by[name] = s.name;
      }
      stages = { ...stages, ...provided };
      for (const def of p.syscalls ?? []) kernel.syscalls.provide(def, false);
      for (const def of p.replaces ?? []) kernel.syscalls.provide(def, true);
      for (const [name, logic] of Object.entries(p.logics ?? {})) kernel.registerLogic(name, logic);
      for (const [kind, make] of Object.entries(p.kinds ?? {})) kernel.registerKind(kind, make);
      if (p.instrument !== undefined) instruments.push(p.instrument);
      if (p.settle !== undefined) settles.push(p.settle);
      if (p.start !== undefined) starts.push(p.start);
      if (p.stopping !== undefined) kernel.onStopping(p.stopping);
      if (p.gone !== undefined) kernel.procs.onGone(p.gone);
    }
  } catch (e) {
    for (const { name, stop } of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        kernel.kernelError(err, `stopping ${name} after a failed boot`);
      }
    }
    throw e;
  }
  for (const { stop } of stops) kernel.onShutdown(stop);
  installStages(kernel, stages);
  for (const instrument of instruments) instrument(kernel.syscalls);
  extendSettle(kernel, settles);
  return { services, start: () => starts.forEach((s) => s()) };
}

/**
 * The budget stage told, after it charged a counted call, to every subsystem that settles usage too
 * (the planner's ledger wallets). It wraps the budget stage, not the quota guard: the door calls it
 * on every counted call, and the capability-only fast path of ctx.send stays intact.
 */
function extendSettle(kernel: Kernel, settles: readonly NonNullable<Provision<unknown>["settle"]>[]): void {
  const budgets = kernel.dispatcher.budgets;
  if (budgets === undefined || settles.length === 0) return;
  kernel.dispatcher.budgets = {
    admit: (c) => budgets.admit(c),
    settle: (c, holders, usage) => {
      budgets.settle(c, holders, usage);
      if (usage === undefined) return;
      for (const s of settles) {
        try {
          s(c, usage);
        } catch (e) {
          kernel.kernelError(e, `settling the usage of ${c.agent}`);
        }
      }
    },
  };
}

/** The door's stages, set once: what no subsystem provides keeps the kernel's default. */
function installStages(kernel: Kernel, s: DoorStages): void {
  const g = kernel.guards;
  if (s.capabilities !== undefined) g.capabilities = s.capabilities;
  g.policy = s.policy;
  g.quota = s.quota;
  g.scheduler = s.scheduler;
  g.audit = s.audit;
  g.syscallJournal = s.syscallJournal;
  g.journal = s.journal;
  s.journal?.commitHereWhen?.(() => kernel.idle);
  g.effects = s.effects;
  g.trace = s.trace;
  g.observer = s.observer;
  g.remoteMail = s.remoteMail;
  // In the door only while it may refuse (the hot path's check is then `g.plainMail !== undefined`).
  const plain = s.plainMail;
  plain?.watch((on) => {
    g.plainMail = on ? plain : undefined;
  });
}

export type { SubsystemHost };
