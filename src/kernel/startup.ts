/**
 * How a new agent starts: its logic's init runs into its state, then it moves to `running` and its
 * queued mail is scheduled. The common case (no journal, a synchronous init, not a supervisor) is
 * synchronous, so spawning a micro agent costs no promise turns. An init that throws or rejects ends
 * the agent `failed` and the spawn fails with E_AGENT_CRASHED.
 */
import { AiosError, toAiosError } from "../core/index.js";
import { isTerminal } from "../abi/index.js";
import type { AgentContext } from "../abi/index.js";
import type { Lifecycle } from "./lifecycle.js";
import type { ExitKind } from "./supervisor-state.js";
import type { Proc } from "./proc.js";
import { initSettled } from "./init-ctx.js";

/** What starting an agent uses: the lifecycle, its context, the exit, the run queue and supervision. */
export interface StartDeps {
  readonly lifecycle: Lifecycle;
  /** The context an init gets (not kept on the process: kernel.ts). */
  readonly initCtx: (p: Proc) => AgentContext;
  readonly exit: (p: Proc, to: "failed", reason: string, kind: ExitKind) => void;
  readonly releaseIdle: (p: Proc) => void;
  readonly schedule: (p: Proc) => void;
  /** Starts a supervisor's children (supervision.ts). */
  readonly startChildren: (p: Proc) => Promise<void>;
  /** The journal offers durable(): a durable agent starts before its spawn record commits (ADR 0052). */
  readonly outputCommit: () => boolean;
  /** An agent's record the journal refused after the agent went on (ADR 0052): it ends. */
  readonly lost: (p: Proc, e: unknown) => void;
}

/** Runs init (unless the agent was restored with its state) and moves the agent to running. */
export function startProc(k: StartDeps, p: Proc, restored: boolean, acknowledged = true): void | Promise<void> {
  if (p.durable || p.spec.kind === "supervisor") return startAsync(k, p, restored, acknowledged);
  const init = restored ? undefined : runInit(k, p);
  return init === undefined ? markRunning(k, p) : init.then(() => markRunning(k, p));
}

async function startAsync(k: StartDeps, p: Proc, restored: boolean, acknowledged: boolean): Promise<void> {
  // Output commit (ADR 0052): on a journal that offers durable(), the agent starts while its spawn
  // record commits — what it does that others can see waits for that record at the door or at its
  // reply — and the spawn resolves (the id is handed out) only once the record is on disk. A
  // supervisor's children are spawns of durable agents, so a supervisor starts them after it. A
  // spawn nobody is told of but through the agent's reply (os.run) starts no commit of its own.
  const early = p.durable && k.outputCommit() && p.spec.kind !== "supervisor";
  // An agent started with a state (a clone, an operator's restart) has it journaled as its checkpoint.
  const record = p.durable ? k.lifecycle.journalSpawn(p, restored, early && !acknowledged ? false : undefined) : undefined;
  if (record !== undefined && early) {
    if (acknowledged) record.catch(() => undefined); // the spawn fails with it below; init may throw first
    else record.catch((e: unknown) => k.lost(p, e));
    const init = restored ? undefined : runInit(k, p);
    if (init !== undefined) await init;
    markRunning(k, p);
    if (acknowledged) await record;
    return;
  }
  if (record !== undefined) await record;
  const init = restored ? undefined : runInit(k, p);
  if (init !== undefined) await init;
  markRunning(k, p);
  if (p.spec.kind === "supervisor" && p.status === "running") await k.startChildren(p);
}

/** Runs the logic's init into p.state: synchronously when it is, else a promise (busy meanwhile). */
function runInit(k: StartDeps, p: Proc): Promise<void> | undefined {
  if (p.logic.init === undefined) return undefined;
  let s: unknown;
  const ctx = k.initCtx(p);
  try {
    s = p.logic.init(ctx, p.spec.args);
  } catch (e) {
    initSettled(ctx);
    initFailed(k, p, e);
  }
  if (!(s instanceof Promise)) {
    initSettled(ctx);
    p.state = s;
    return undefined;
  }
  p.busy = true;
  return s.then(
    (state: unknown) => {
      initSettled(ctx);
      p.busy = false;
      p.state = state;
    },
    (e: unknown) => {
      initSettled(ctx);
      p.busy = false;
      initFailed(k, p, e);
    },
  );
}

function initFailed(k: StartDeps, p: Proc, e: unknown): never {
  const msg = toAiosError(e).message;
  k.exit(p, "failed", `init failed: ${msg}`, "abnormal");
  throw new AiosError("E_AGENT_CRASHED", `agent ${p.spec.name} (${p.id}) failed in init: ${msg}`, { cause: e });
}

function markRunning(k: StartDeps, p: Proc): void {
  if (isTerminal(p.status)) return; // killed during an async init
  k.lifecycle.transition(p, "running", "start");
  k.releaseIdle(p);
  if (p.mailbox.length > 0) k.schedule(p);
}
