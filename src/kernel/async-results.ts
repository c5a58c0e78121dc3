/**
 * Handles for long syscalls (GetAsyncResult): the call returns a handle at once, the work runs on,
 * and the owner polls or waits with a bound. Finished results are kept until read or until
 * `retainMs` passes, so an abandoned handle does not leak.
 */
import { AiosError, toAiosError, type AgentId, type Clock, type HandleId, type IdGenerator } from "../core/index.js";
import type { AsyncResultState } from "../abi/index.js";

interface Entry {
  readonly owner: AgentId;
  state: AsyncResultState;
  readonly done: Promise<void>;
}

export class AsyncResults {
  private readonly entries = new Map<HandleId, Entry>();

  constructor(
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly retainMs = 10 * 60_000,
  ) {}

  start(owner: AgentId, work: () => Promise<unknown>): HandleId {
    const handle = this.ids.handle();
    const entry: Entry = {
      owner,
      state: { status: "pending", handle },
      done: work().then(
        (result) => {
          entry.state = { status: "done", handle, result };
        },
        (e: unknown) => {
          const err = toAiosError(e);
          entry.state = { status: "error", handle, error: { code: err.code, message: err.message } };
        },
      ).finally(() => {
        this.clock.setTimeout(() => this.entries.delete(handle), this.retainMs);
      }),
    };
    this.entries.set(handle, entry);
    return handle;
  }

  /** The state of a handle; waits up to `waitMs` for a pending one. Only its owner may read it. */
  async get(owner: AgentId, handle: string, waitMs = 0): Promise<AsyncResultState> {
    const e = this.entries.get(handle as HandleId);
    if (e === undefined || e.owner !== owner) {
      throw new AiosError("E_NO_HANDLE", `no async result ${handle} for ${owner}`, { details: { handle } });
    }
    if (e.state.status === "pending" && waitMs > 0) {
      const ctl = new AbortController();
      await Promise.race([e.done, this.clock.sleep(waitMs, ctl.signal).catch(() => undefined)]);
      ctl.abort();
    }
    if (e.state.status !== "pending") this.entries.delete(handle as HandleId);
    return e.state;
  }
}
