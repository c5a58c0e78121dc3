/**
 * mcpSubsystem: the MCP client tier as a factory (abi/subsystem.ts); it needs the `tools` registry,
 * where the servers' tools join. It adds the servers named in its options (config file section
 * `mcp.servers`) when the kernel boots, provides the resource and prompt syscalls, and closes every
 * connection (killing stdio sandboxes) at shutdown. A server that cannot be reached at
 * boot does not fail the boot: it is registered dead and retried with backoff. An entry that is
 * invalid does fail it (E_CONFIG naming the field). `hub` is the run-time door (`os.mcp`).
 */
import { AiosError, toAiosError } from "../../core/index.js";
import type { Subsystem } from "../kernel-seam.js";
import type { ToolRegistry } from "../registry.js";
import type { Backoff } from "./connection.js";
import { McpHub, type McpHubOptions } from "./hub.js";
import { mcpSyscalls } from "./syscalls.js";

export interface McpSubsystemOptions {
  /** Server entries by name (see config.ts). */
  readonly servers?: Readonly<Record<string, unknown>>;
  readonly backoff?: Backoff;
  readonly bwrapPath?: string;
  readonly sandboxUid?: number;
  readonly hostUid?: number;
}

export function mcpSubsystem(o: McpSubsystemOptions = {}): Subsystem<"mcp", McpHub, { tools: ToolRegistry }> {
  return {
    name: "mcp",
    needs: ["tools"],
    async build(host, { tools }) {
      const options: McpHubOptions = {
        registry: tools,
        clock: host.clock,
        events: host.events,
        ...(o.backoff === undefined ? {} : { backoff: o.backoff }),
        ...(o.bwrapPath === undefined ? {} : { bwrapPath: o.bwrapPath }),
        ...(o.sandboxUid === undefined ? {} : { sandboxUid: o.sandboxUid }),
        ...(o.hostUid === undefined ? {} : { hostUid: o.hostUid }),
      };
      const h = new McpHub(options);
      try {
        await Promise.all(
          Object.entries(o.servers ?? {}).map(([name, entry]) =>
            h.add(name, entry).catch((e: unknown) => {
              const err = toAiosError(e);
              throw new AiosError("E_CONFIG", err.message, { cause: e, details: err.details });
            }),
          ),
        );
      } catch (e) {
        await h.close();
        throw e;
      }
      return { service: h, syscalls: mcpSyscalls(h), stop: () => h.close() };
    },
  };
}
