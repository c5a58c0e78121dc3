/**
 * Wakes the readers of a task when its event log grows. It carries no events: a reader always
 * reads the log from its own cursor (store.ts), so a wake-up that comes early, late or twice can
 * neither lose nor duplicate an event; the hub only saves readers from polling.
 */
export class TaskHub {
  private readonly watchers = new Map<string, Set<() => void>>();

  notify(taskId: string): void {
    for (const w of this.watchers.get(taskId) ?? []) w();
  }

  watch(taskId: string, wake: () => void): () => void {
    let set = this.watchers.get(taskId);
    if (set === undefined) this.watchers.set(taskId, (set = new Set()));
    set.add(wake);
    return () => {
      set.delete(wake);
      if (set.size === 0) this.watchers.delete(taskId);
    };
  }

  /** Follows a task's log: `next()` resolves on the next wake-up or abort (never misses one given before it). */
  follower(taskId: string, signal: AbortSignal): { next(): Promise<void>; close(): void } {
    let dirty = false;
    let resolve: (() => void) | undefined;
    const wake = (): void => {
      dirty = true;
      resolve?.();
    };
    const off = this.watch(taskId, wake);
    signal.addEventListener("abort", wake, { once: true });
    return {
      next: () =>
        new Promise<void>((r) => {
          if (dirty || signal.aborted) {
            dirty = false;
            r();
            return;
          }
          resolve = () => {
            dirty = false;
            resolve = undefined;
            r();
          };
        }),
      close: () => {
        off();
        signal.removeEventListener("abort", wake);
      },
    };
  }
}
