/**
 * toolsSubsystem: tools/ as a factory (abi/subsystem.ts). It provides the ToolCall syscall over a
 * registry holding the builtin tools chosen by the options (all on by default; `false` leaves one
 * out), and the registry as its service (`tools`) so the SDK (`os.tools`), the MCP client, the
 * models and the gateway's MCP server can list tools and register user ones after boot. The browser
 * process is closed at shutdown. With the security subsystem before it, tools' secret slots take
 * their values from its secret store (secret-slots.ts); without it no secret can be used.
 */
import { a2aTool, type A2aToolOptions } from "./a2a-tool.js";
import { browserTool, type BrowserToolOptions } from "./browser-tool.js";
import { fileTools, type FileToolOptions } from "./file-tools.js";
import { httpTool, type HttpToolOptions } from "./http-tool.js";
import type { Subsystem } from "./kernel-seam.js";
import type { SecretSource } from "./secret-slots.js";
import { ToolRegistry } from "./registry.js";
import { scriptTool, type ScriptToolDefinition } from "./script-tool.js";
import { shellTool, type ShellToolOptions } from "./shell-tool.js";
import { requestTool } from "./request-tool.js";
import { spawnTool } from "./spawn-tool.js";
import { toolCallSyscall, type ToolCallOptions } from "./syscall.js";

export interface ToolsSubsystemOptions {
  /** The registry to fill (default: a new one). */
  readonly registry?: ToolRegistry;
  readonly file?: FileToolOptions | false;
  readonly http?: HttpToolOptions | false;
  /** a2a.send: calling remote A2A agents (a2a-tool.ts). */
  readonly a2a?: A2aToolOptions | false;
  readonly shell?: ShellToolOptions | false;
  readonly browser?: BrowserToolOptions | false;
  readonly spawn?: boolean;
  /** agent.request: a request to another agent, awaiting its reply (default on). */
  readonly request?: boolean;
  /** User tools written in JavaScript, run in QuickJS. */
  readonly scripts?: readonly ScriptToolDefinition[];
  readonly toolCall?: ToolCallOptions;
}

/** What the tools use of the security subsystem when it is installed before them: the secret store. */
interface ToolsNeeds {
  readonly security?: { readonly secrets: SecretSource };
}

export function toolsSubsystem(options: ToolsSubsystemOptions = {}): Subsystem<"tools", ToolRegistry, ToolsNeeds> {
  const registry = options.registry ?? new ToolRegistry();
  if (options.file !== false) for (const t of fileTools(options.file ?? {})) registry.register(t);
  if (options.http !== false) registry.register(httpTool(options.http ?? {}));
  if (options.a2a !== false) registry.register(a2aTool(options.a2a ?? {}));
  if (options.shell !== false) registry.register(shellTool(options.shell ?? {}));
  if (options.spawn !== false) registry.register(spawnTool());
  if (options.request !== false) registry.register(requestTool());
  const browser = options.browser === false ? undefined : browserTool(options.browser ?? {});
  if (browser !== undefined) registry.register(browser.tool);
  for (const s of options.scripts ?? []) registry.register(scriptTool(s));
  return {
    name: "tools",
    needs: [],
    uses: ["security"],
    build(host, needs) {
      const secrets = needs.security?.secrets;
      return {
        service: registry,
        syscalls: [toolCallSyscall(registry, host, { ...options.toolCall, ...(secrets === undefined ? {} : { secrets }) })],
        stop: async () => {
          try {
            await registry.dispose();
          } finally {
            if (browser !== undefined) await browser.close();
          }
        },
      };
    },
  };
}
