/**
 * mcpPlugin: the MCP client tier in a kernel. It adds the servers named in its options (config file
 * section `mcp.servers`) when the kernel boots, registers the resource and prompt syscalls, and
 * closes every connection (killing stdio sandboxes) at shutdown. A server that cannot be reached at
 * boot does not fail the boot: it is registered dead and retried with backoff. An entry that is
 * invalid does fail it (E_CONFIG naming the field). `hub` is the run-time door (`os.mcp`).
 */
import { AiosError, toAiosError, type Clock, type EventBus } from "../../core/index.js";
import type { SyscallDef, SyscallName } from "../kernel-seam.js";
import type { ToolRegistry } from "../registry.js";
import type { Backoff } from "./connection.js";
import { McpHub, type McpHubOptions } from "./hub.js";
import { mcpSyscalls } from "./syscalls.js";

export interface McpPluginOptions {
  readonly registry: ToolRegistry;
  /** Server entries by name (see config.ts). */
  readonly servers?: Readonly<Record<string, unknown>>;
  readonly backoff?: Backoff;
  readonly bwrapPath?: string;
  readonly sandboxUid?: number;
  readonly hostUid?: number;
}

export interface McpKernel {
  readonly clock: Clock;
  readonly events: EventBus;
  readonly syscalls: { register<N extends SyscallName>(def: SyscallDef<N>): void };
  onShutdown(fn: () => void | Promise<void>): void;
}

export interface McpPlugin {
  readonly name: "mcp";
  readonly hub: McpHub;
  install(kernel: McpKernel): Promise<void>;
}

export function mcpPlugin(o: McpPluginOptions): McpPlugin {
  let hub: McpHub | undefined;
  return {
    name: "mcp",
    get hub(): McpHub {
      if (hub === undefined) throw new AiosError("E_CONFIG", "the MCP client is not installed yet (boot the kernel first)");
      return hub;
    },
    async install(kernel) {
      const options: McpHubOptions = {
        registry: o.registry,
        clock: kernel.clock,
        events: kernel.events,
        ...(o.backoff === undefined ? {} : { backoff: o.backoff }),
        ...(o.bwrapPath === undefined ? {} : { bwrapPath: o.bwrapPath }),
        ...(o.sandboxUid === undefined ? {} : { sandboxUid: o.sandboxUid }),
        ...(o.hostUid === undefined ? {} : { hostUid: o.hostUid }),
      };
      const h = new McpHub(options);
      hub = h;
      const [list, read, prompts, prompt] = mcpSyscalls(h);
      kernel.syscalls.register(list);
      kernel.syscalls.register(read);
      kernel.syscalls.register(prompts);
      kernel.syscalls.register(prompt);
      kernel.onShutdown(() => h.close());
      await Promise.all(
        Object.entries(o.servers ?? {}).map(([name, entry]) =>
          h.add(name, entry).catch((e: unknown) => {
            const err = toAiosError(e);
            throw new AiosError("E_CONFIG", err.message, { cause: e, details: err.details });
          }),
        ),
      );
    },
  };
}
