/**
 * The SDK facade other programs use (`import { boot } from "aios"`): spawn, message, operate on and
 * observe agents. It adds no behaviour of its own; every call goes to the kernel.
 */
import type { AgentId, EventFilter, AnyKernelEvent, EventType, KernelEvent, Subscription, SubscribeOptions } from "../core/index.js";
import type { Kernel, ExitInfo } from "./kernel.js";
import type { AgentSpec, AgentSpecInput } from "../abi/index.js";
import type { MergeOptions, SplitOptions, UpgradeOptions } from "./operations.js";
import type { Operation, PostHook, PreHook } from "./hooks.js";
import type { SyscallArgs, SyscallName, SyscallResult } from "../abi/index.js";
import { info, ps, tree, type AgentInfo, type PsFilter, type TreeNode } from "./views.js";
import type { Escalation } from "./supervision.js";

export type Unsubscribe = (() => void) & { readonly subscription: Subscription };

export class Aios {
  readonly events: {
    subscribe(filter: EventFilter, fn: (e: AnyKernelEvent) => void | Promise<void>, options?: SubscribeOptions): Unsubscribe;
    /** Resolves with the next event of `type` that satisfies `predicate`. */
    once<T extends EventType>(type: T, predicate?: (e: KernelEvent<T>) => boolean): Promise<KernelEvent<T>>;
  };
  readonly hooks: {
    before(op: Operation, fn: PreHook): () => void;
    after(op: Operation, fn: PostHook): () => void;
  };

  constructor(
    readonly kernel: Kernel,
    readonly dataDir: string | undefined,
  ) {
    this.events = {
      subscribe: (filter, fn, options) => {
        const sub = kernel.events.subscribe(filter, fn, options);
        return Object.assign(() => sub.unsubscribe(), { subscription: sub });
      },
      once: (type, predicate) => kernel.events.once(type, predicate),
    };
    this.hooks = { before: (op, fn) => kernel.hooks.before(op, fn), after: (op, fn) => kernel.hooks.after(op, fn) };
  }

  spawn(spec: AgentSpecInput | AgentSpec): Promise<AgentId> {
    return this.kernel.spawn(spec);
  }
  /** Sends a message from outside the kernel; resolves once it is in the mailbox (or journaled). */
  async send(id: string, payload: unknown): Promise<void> {
    await this.kernel.deliver(undefined, id, payload, undefined, undefined);
  }
  request(id: string, payload: unknown, options: { timeoutMs?: number } = {}): Promise<unknown> {
    return this.kernel.request(undefined, id, payload, options.timeoutMs);
  }
  /** Invokes a syscall as the given agent (through the same door its own code uses). */
  syscall<N extends SyscallName>(as: string, name: N, args: SyscallArgs<N>): Promise<SyscallResult<N>> {
    return this.kernel.dispatcher.invoke(this.kernel.get(as), name, args);
  }
  pause(id: string): Promise<void> {
    return this.kernel.ops.pause(id);
  }
  resume(id: string): Promise<void> {
    return this.kernel.ops.resume(id);
  }
  kill(id: string, reason?: string): Promise<boolean> {
    return this.kernel.ops.kill(id, reason);
  }
  clone(id: string, overrides?: Partial<AgentSpecInput>): Promise<AgentId> {
    return this.kernel.ops.clone(id, overrides);
  }
  upgrade(id: string, options: UpgradeOptions): Promise<void> {
    return this.kernel.ops.upgrade(id, options);
  }
  merge(a: string, b: string, options: MergeOptions): Promise<AgentId> {
    return this.kernel.ops.merge(a, b, options);
  }
  split(id: string, options: SplitOptions): Promise<[AgentId, AgentId]> {
    return this.kernel.ops.split(id, options);
  }
  specialize(id: string, narrow: Partial<AgentSpecInput>): Promise<AgentId> {
    return this.kernel.ops.specialize(id, narrow);
  }
  status(id: string): AgentInfo {
    return info(this.kernel.get(id));
  }
  ps(filter?: PsFilter): AgentInfo[] {
    return ps(this.kernel, filter);
  }
  tree(): TreeNode[] {
    return tree(this.kernel);
  }
  /** Resolves when the agent ends, with how it ended. */
  wait(id: AgentId): Promise<ExitInfo> {
    return this.kernel.wait(id);
  }
  /** Open escalations from supervisors that gave up, for a person to decide. */
  escalations(): Escalation[] {
    return [...this.kernel.supervision.escalations.values()];
  }
  decide(escalationId: string, decision: "restart" | "abandon"): Promise<AgentId | undefined> {
    return this.kernel.supervision.decide(escalationId, decision);
  }
  shutdown(reason?: string): Promise<void> {
    return this.kernel.shutdown(reason);
  }
}
