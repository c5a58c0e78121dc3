/**
 * Sandboxes set up ahead of the call that will use them. Setting up bubblewrap (clone into seven
 * namespaces, the mounts, pivot_root, the launcher's exec) is what makes a sandboxed command cost
 * 25-35 ms more than a bare exec on a loaded host, and none of it depends on the command; so after
 * each call one sandbox of the same shape is started and left waiting, and the next call only hands
 * it its argv (sandbox-launcher.ts). Invariants:
 * - a prepared sandbox runs exactly one command, never two: `take` removes it from the cache, so
 *   nothing a command leaves behind (work dir, /tmp, processes) is seen by the next one;
 * - only shapes without mounts are prepared: a granted path is canonicalised and checked at call
 *   time and must be bound right after that check, not from an earlier call's;
 * - at most `maxShapes` sandboxes wait, each at most `idleMs` (on the clock of the call that left
 *   it) before it is killed; an idle one holds no reference on the event loop;
 * - a shape whose sandbox failed to start is not prepared again until a call of that shape succeeds
 *   (no respawn loop against a broken bwrap).
 */
import type { Clock, TimerHandle } from "../core/index.js";
import type { SandboxProcess } from "./sandbox-process.js";

interface Waiting {
  readonly sandbox: SandboxProcess;
  readonly clock: Clock;
  readonly timer: TimerHandle;
}

export interface PreparedSandboxesOptions {
  readonly maxShapes?: number;
  readonly idleMs?: number;
}

export class PreparedSandboxes {
  private readonly waiting = new Map<string, Waiting>();
  private readonly maxShapes: number;
  private readonly idleMs: number;

  constructor(o: PreparedSandboxesOptions = {}) {
    this.maxShapes = o.maxShapes ?? 2;
    this.idleMs = o.idleMs ?? 60_000;
  }

  /** The waiting sandbox of this shape (set up or still starting), removed from the cache. */
  take(shape: string): SandboxProcess | undefined {
    const w = this.waiting.get(shape);
    if (w === undefined) return undefined;
    this.waiting.delete(shape);
    w.clock.clearTimeout(w.timer);
    if (w.sandbox.hasExited) return undefined;
    w.sandbox.claim();
    return w.sandbox;
  }

  /** Leaves a freshly started sandbox of this shape waiting for the next call. */
  put(shape: string, sandbox: SandboxProcess, clock: Clock): void {
    this.drop(shape);
    if (this.waiting.size >= this.maxShapes) {
      const oldest = this.waiting.keys().next();
      if (oldest.done !== true) this.drop(oldest.value);
    }
    sandbox.idle();
    const timer = clock.setTimeout(() => this.drop(shape), this.idleMs);
    this.waiting.set(shape, { sandbox, clock, timer });
    // One that dies while waiting (killed from outside, failed setup) is forgotten, not handed out.
    void sandbox.exited.then(() => {
      if (this.waiting.get(shape)?.sandbox === sandbox) this.drop(shape);
    });
  }

  has(shape: string): boolean {
    return this.waiting.has(shape);
  }

  get size(): number {
    return this.waiting.size;
  }

  /** Kills every waiting sandbox. */
  dispose(): void {
    for (const shape of [...this.waiting.keys()]) this.drop(shape);
  }

  private drop(shape: string): void {
    const w = this.waiting.get(shape);
    if (w === undefined) return;
    this.waiting.delete(shape);
    w.clock.clearTimeout(w.timer);
    w.sandbox.killGroup();
  }
}
