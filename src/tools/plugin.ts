/**
 * toolsPlugin: installs the registry's ToolCall syscall into a kernel and registers the builtin
 * tools chosen by the options (all on by default; `false` leaves one out). The browser process is
 * closed on kernel shutdown. The registry is exposed on the plugin so the SDK (`os.tools`), the
 * gateway's MCP server and tests can list tools and register user ones after boot.
 */
import { browserTool, type BrowserToolOptions } from "./browser-tool.js";
import { fileTools, type FileToolOptions } from "./file-tools.js";
import { httpTool, type HttpToolOptions } from "./http-tool.js";
import type { ToolHost, SyscallDef } from "./kernel-seam.js";
import type { Plugin } from "../kernel/index.js";
import { ToolRegistry } from "./registry.js";
import { scriptTool, type ScriptToolDefinition } from "./script-tool.js";
import { shellTool, type ShellToolOptions } from "./shell-tool.js";
import { spawnTool } from "./spawn-tool.js";
import { toolCallSyscall, type ToolCallOptions } from "./syscall.js";

export interface ToolsPluginOptions {
  /** The registry to fill (default: a new one). */
  readonly registry?: ToolRegistry;
  readonly file?: FileToolOptions | false;
  readonly http?: HttpToolOptions | false;
  readonly shell?: ShellToolOptions | false;
  readonly browser?: BrowserToolOptions | false;
  readonly spawn?: boolean;
  /** User tools written in JavaScript, run in QuickJS. */
  readonly scripts?: readonly ScriptToolDefinition[];
  readonly toolCall?: ToolCallOptions;
}

/** What install() needs from the kernel (the Kernel class satisfies it). */
export interface ToolsKernel extends ToolHost {
  readonly syscalls: { register(def: SyscallDef<"ToolCall">): void };
  onShutdown(fn: () => void | Promise<void>): void;
}

export type ToolsPlugin = Plugin & { readonly registry: ToolRegistry };

export function toolsPlugin(options: ToolsPluginOptions = {}): ToolsPlugin {
  const registry = options.registry ?? new ToolRegistry();
  if (options.file !== false) for (const t of fileTools(options.file ?? {})) registry.register(t);
  if (options.http !== false) registry.register(httpTool(options.http ?? {}));
  if (options.shell !== false) registry.register(shellTool(options.shell ?? {}));
  if (options.spawn !== false) registry.register(spawnTool());
  const browser = options.browser === false ? undefined : browserTool(options.browser ?? {});
  if (browser !== undefined) registry.register(browser.tool);
  for (const s of options.scripts ?? []) registry.register(scriptTool(s));
  return {
    name: "tools",
    registry,
    install(kernel: ToolsKernel) {
      kernel.syscalls.register(toolCallSyscall(registry, kernel, options.toolCall));
      if (browser !== undefined) kernel.onShutdown(() => browser.close());
      kernel.onShutdown(() => registry.dispose());
    },
  };
}
