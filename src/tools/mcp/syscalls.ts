/**
 * An MCP server's resources and prompts, through the door: McpResourceList, McpResourceRead,
 * McpPromptList and McpPromptGet. Each needs `mcp:<server>#read` (globbable: `mcp:*#read`), runs
 * in the tool pool, and is journaled for replay (a server's answer is not deterministic). Results
 * carry the taint label `mcp:<server>` like the server's tool results (mcp-tool.ts).
 */
import { z } from "zod";
import { zodArgs, type ArgParser, type SyscallDef } from "../kernel-seam.js";
import type { McpHub } from "./hub.js";

declare module "../../abi/syscalls.js" {
  interface SyscallMap {
    McpResourceList: { args: { server: string }; result: { resources: unknown[]; taint: string[] } };
    McpResourceRead: { args: { server: string; uri: string }; result: { contents: unknown[]; taint: string[] } };
    McpPromptList: { args: { server: string }; result: { prompts: unknown[]; taint: string[] } };
    McpPromptGet: { args: { server: string; name: string; args?: Record<string, string> }; result: { description?: string; messages: unknown[]; taint: string[] } };
  }
}

const Server = z.strictObject({ server: z.string().min(1).max(63) });
const Read = z.strictObject({ server: z.string().min(1).max(63), uri: z.string().min(1).max(4096) });
const Get = z.strictObject({ server: z.string().min(1).max(63), name: z.string().min(1).max(256), args: z.record(z.string(), z.string()).optional() });

const read = (a: { server: string }): { resource: string; action: string }[] => [{ resource: `mcp:${a.server}`, action: "read" }];
const taint = (server: string): string[] => [`mcp:${server}`];

export function mcpSyscalls(hub: McpHub): [SyscallDef<"McpResourceList">, SyscallDef<"McpResourceRead">, SyscallDef<"McpPromptList">, SyscallDef<"McpPromptGet">] {
  const common = { sideEffect: false, replay: true, pool: () => "tool" } as const;
  return [
    {
      name: "McpResourceList",
      parse: zodArgs("McpResourceList", Server),
      requires: read,
      ...common,
      handler: async (a) => ({ resources: await hub.connection(a.server).listResources(), taint: taint(a.server) }),
    },
    {
      name: "McpResourceRead",
      parse: zodArgs("McpResourceRead", Read),
      requires: read,
      ...common,
      handler: async (a, call) => ({ contents: (await hub.connection(a.server).readResource(a.uri, call.signal)).contents, taint: taint(a.server) }),
    },
    {
      name: "McpPromptList",
      parse: zodArgs("McpPromptList", Server),
      requires: read,
      ...common,
      handler: async (a) => ({ prompts: await hub.connection(a.server).listPrompts(), taint: taint(a.server) }),
    },
    {
      name: "McpPromptGet",
      parse: zodArgs("McpPromptGet", Get) as ArgParser<{ server: string; name: string; args?: Record<string, string> }>,
      requires: read,
      ...common,
      handler: async (a, call) => {
        const r = await hub.connection(a.server).getPrompt(a.name, a.args ?? {}, call.signal);
        return { ...(r.description === undefined ? {} : { description: r.description }), messages: r.messages, taint: taint(a.server) };
      },
    },
  ];
}
