/**
 * An MCP server's tool as an AIOS tool: `mcp.<server>.<tool>`, its input validated against the
 * server's own JSON Schema (json-schema.ts) and that schema shown to models unchanged. The call goes
 * to the server only after the door allowed `tool:mcp.<server>.<tool>#call`. The result carries the
 * label `mcp:<server>` in `taint`, so the security stage taints the caller's context with it the way
 * it does web content: whatever an external server returns is untrusted. A result the server marks
 * `isError` is an E_TOOL error with the server's text, not a success.
 * MCP tool names allow capitals, digits first and `.`; AIOS tool-name segments are lowercase words,
 * so the segment is the name lowercased with every other character as `_` (`getTinyImage` ->
 * `gettinyimage`, `get-sum` stays). Two server tools that map to one segment: the second is skipped.
 */
import type { CallToolResult, Tool as McpToolDef } from "@modelcontextprotocol/sdk/types.js";
import { AiosError } from "../../core/index.js";
import { defineTool, eraseTool, type AnyTool } from "../tool.js";
import type { McpConnection } from "./connection.js";
import { zodFromJsonSchema } from "./json-schema.js";

export function toolSegment(mcpName: string): string {
  const s = mcpName.toLowerCase().replace(/[^a-z0-9_-]/g, "_");
  return /^[a-z]/.test(s) ? s.slice(0, 100) : `t_${s}`.slice(0, 100);
}

export interface McpToolResult extends CallToolResult {
  readonly taint: readonly string[];
}

export function mcpTool(server: string, def: McpToolDef, conn: McpConnection): AnyTool {
  const name = `mcp.${server}.${toolSegment(def.name)}`;
  return eraseTool(
    defineTool({
      name,
      description: def.description ?? def.title ?? `${def.name} (MCP server ${server})`,
      input: zodFromJsonSchema(def.inputSchema, `${name}.inputSchema`),
      jsonSchema: { input: def.inputSchema, ...(def.outputSchema === undefined ? {} : { output: def.outputSchema }) },
      // MCP's hint: only a tool the server says is read-only is treated as free of side effects.
      sideEffect: def.annotations?.readOnlyHint !== true,
      requires: () => [],
      async execute(args, ctx): Promise<McpToolResult> {
        const r = await conn.callTool(def.name, args, ctx.signal, ctx.trace);
        if (r.isError === true) {
          const text = r.content.flatMap((c) => (c.type === "text" ? [c.text] : [])).join("\n").slice(0, 2000);
          throw new AiosError("E_TOOL", `${name}: ${text || "the server reported an error"}`, { details: { server, tool: def.name, content: r.content } });
        }
        return { ...r, taint: [`mcp:${server}`] };
      },
    }),
  );
}
