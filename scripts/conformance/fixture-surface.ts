/**
 * The conformance fixture: a configuration of AIOS's MCP server (gateway/mcp) with the tools,
 * resources and prompts `@modelcontextprotocol/conformance` expects by name (its server scenarios
 * call `test_simple_text`, read `test://static-text`, get `test_prompt_with_arguments`, ...).
 * Only the content is the fixture's: transport, sessions, the stateless path, method routing, param
 * validation, errors, subscriptions, progress and logging notifications and server-to-client
 * requests are our server's code (McpEndpoint, McpSession, handlers.ts), which is what the suite
 * tests. Content mirrors the suite's reference server (examples/servers/typescript/everything-server.ts).
 */
import { ElicitResultSchema, CreateMessageResultSchema, type CallToolResult, type Prompt, type Resource, type Tool } from "@modelcontextprotocol/sdk/types.js";
import { AiosError } from "../../src/core/index.js";
import type { McpRequestContext, McpSurface } from "../../src/gateway/index.js";

const IMAGE = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
const AUDIO = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

type Args = Record<string, unknown>;
interface FixtureTool {
  readonly def: Tool;
  run(args: Args, ctx: McpRequestContext): Promise<CallToolResult>;
}

const noArgs = { type: "object" as const, properties: {} };
const text = (t: string): CallToolResult => ({ content: [{ type: "text", text: t }] });
const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** A server-to-client request's failure is reported in the tool's text, as the reference server does. */
async function asking(what: string, run: () => Promise<string>): Promise<CallToolResult> {
  try {
    return text(await run());
  } catch (e) {
    return text(`${what} not supported or error: ${e instanceof Error ? e.message : String(e)}`);
  }
}

async function elicit(ctx: McpRequestContext, message: string, requestedSchema: Record<string, unknown>, label: string): Promise<CallToolResult> {
  return asking("Elicitation", async () => {
    const r = await ctx.ask("elicitation/create", { message, requestedSchema }, ElicitResultSchema);
    return `${label}: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`;
  });
}

/** Sends three notifications ~50 ms apart on the request's own stream (logging or progress). */
async function threeSteps(ctx: McpRequestContext, method: string, params: (i: number) => Record<string, unknown>): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await ctx.notify(method, params(i));
    if (i < 2) await new Promise((r) => setTimeout(r, 50));
  }
}

const SEP1034_SCHEMA = {
  type: "object",
  properties: {
    name: { type: "string", description: "User name", default: "John Doe" },
    age: { type: "integer", description: "User age", default: 30 },
    score: { type: "number", description: "User score", default: 95.5 },
    status: { type: "string", description: "User status", enum: ["active", "inactive", "pending"], default: "active" },
    verified: { type: "boolean", description: "Verification status", default: true },
  },
  required: [],
};

const SEP1330_SCHEMA = {
  type: "object",
  properties: {
    untitledSingle: { type: "string", description: "Select one option", enum: ["option1", "option2", "option3"] },
    titledSingle: {
      type: "string",
      description: "Select one option with titles",
      oneOf: [{ const: "value1", title: "First Option" }, { const: "value2", title: "Second Option" }, { const: "value3", title: "Third Option" }],
    },
    legacyEnum: { type: "string", description: "Select one option (legacy)", enum: ["opt1", "opt2", "opt3"], enumNames: ["Option One", "Option Two", "Option Three"] },
    untitledMulti: { type: "array", description: "Select multiple options", minItems: 1, maxItems: 3, items: { type: "string", enum: ["option1", "option2", "option3"] } },
    titledMulti: {
      type: "array",
      description: "Select multiple options with titles",
      minItems: 1,
      maxItems: 3,
      items: { anyOf: [{ const: "value1", title: "First Choice" }, { const: "value2", title: "Second Choice" }, { const: "value3", title: "Third Choice" }] },
    },
  },
  required: [],
};

/** JSON Schema 2020-12 keywords a server must pass through untouched (SEP-1613, SEP-2106). */
const SCHEMA_2020_12 = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object" as const,
  $defs: { address: { $anchor: "addressDef", type: "object", properties: { street: { type: "string" }, city: { type: "string" } } } },
  properties: { name: { type: "string" }, address: { $ref: "#/$defs/address" }, contactMethod: { type: "string", enum: ["phone", "email"] }, phone: { type: "string" }, email: { type: "string" } },
  allOf: [{ anyOf: [{ required: ["phone"] }, { required: ["email"] }] }],
  if: { properties: { contactMethod: { const: "phone" } }, required: ["contactMethod"] },
  then: { required: ["phone"] },
  else: { required: ["email"] },
  additionalProperties: false,
};

const TOOLS: readonly FixtureTool[] = [
  { def: { name: "test_simple_text", description: "Tests simple text content response", inputSchema: noArgs }, run: async () => text("This is a simple text response for testing.") },
  { def: { name: "test_image_content", description: "Tests image content response", inputSchema: noArgs }, run: async () => ({ content: [{ type: "image", data: IMAGE, mimeType: "image/png" }] }) },
  { def: { name: "test_audio_content", description: "Tests audio content response", inputSchema: noArgs }, run: async () => ({ content: [{ type: "audio", data: AUDIO, mimeType: "audio/wav" }] }) },
  {
    def: { name: "test_embedded_resource", description: "Tests embedded resource content response", inputSchema: noArgs },
    run: async () => ({ content: [{ type: "resource", resource: { uri: "test://embedded-resource", mimeType: "text/plain", text: "This is an embedded resource content." } }] }),
  },
  {
    def: { name: "test_multiple_content_types", description: "Tests response with multiple content types (text, image, resource)", inputSchema: noArgs },
    run: async () => ({
      content: [
        { type: "text", text: "Multiple content types test:" },
        { type: "image", data: IMAGE, mimeType: "image/png" },
        { type: "resource", resource: { uri: "test://mixed-content-resource", mimeType: "application/json", text: JSON.stringify({ test: "data", value: 123 }) } },
      ],
    }),
  },
  {
    def: { name: "test_tool_with_logging", description: "Tests tool that emits log messages during execution", inputSchema: noArgs },
    run: async (_a, ctx) => {
      const said = ["Tool execution started", "Tool processing data", "Tool execution completed"];
      await threeSteps(ctx, "notifications/message", (i) => ({ level: "info", logger: "conformance-fixture", data: said[i] }));
      return text("Tool with logging executed successfully");
    },
  },
  {
    def: { name: "test_tool_with_progress", description: "Tests tool that reports progress notifications", inputSchema: noArgs },
    run: async (_a, ctx) => {
      const token = ctx.progressToken;
      if (token !== undefined) await threeSteps(ctx, "notifications/progress", (i) => ({ progressToken: token, progress: i * 50, total: 100, message: `Completed step ${i * 50} of 100` }));
      return text(String(token ?? "no progress token"));
    },
  },
  {
    def: { name: "test_error_handling", description: "Tests error response handling", inputSchema: noArgs },
    run: () => Promise.reject(new AiosError("E_TOOL", "This tool intentionally returns an error for testing")),
  },
  {
    def: { name: "test_sampling", description: "Tests server-initiated sampling (LLM completion request)", inputSchema: { type: "object", properties: { prompt: { type: "string", description: "The prompt to send to the LLM" } }, required: ["prompt"] } },
    run: (a, ctx) =>
      asking("Sampling", async () => {
        const r = await ctx.ask("sampling/createMessage", { messages: [{ role: "user", content: { type: "text", text: str(a["prompt"]) } }], maxTokens: 100 }, CreateMessageResultSchema);
        return `LLM response: ${r.content.type === "text" ? r.content.text : "No response"}`;
      }),
  },
  {
    def: { name: "test_elicitation", description: "Tests server-initiated elicitation (user input request)", inputSchema: { type: "object", properties: { message: { type: "string", description: "The message to show the user" } }, required: ["message"] } },
    run: (a, ctx) => elicit(ctx, str(a["message"]), { type: "object", properties: { response: { type: "string", description: "User's response" } }, required: ["response"] }, "User response"),
  },
  {
    def: { name: "test_elicitation_sep1034_defaults", description: "Tests elicitation with default values per SEP-1034", inputSchema: noArgs },
    run: (_a, ctx) => elicit(ctx, "Please review and update the form fields with defaults", SEP1034_SCHEMA, "Elicitation completed"),
  },
  {
    def: { name: "test_elicitation_sep1330_enums", description: "Tests elicitation with enum schema improvements per SEP-1330", inputSchema: noArgs },
    run: (_a, ctx) => elicit(ctx, "Please select options from the enum fields", SEP1330_SCHEMA, "Elicitation completed"),
  },
  {
    def: { name: "test_reconnection", description: "Closes its SSE stream mid-call; the answer arrives after the client resumes (SEP-1699)", inputSchema: noArgs },
    run: async (_a, ctx) => {
      ctx.closeStream?.();
      await new Promise((r) => setTimeout(r, 100));
      return text("Reconnection test completed successfully. If you received this, the client properly reconnected after stream closure.");
    },
  },
  {
    def: { name: "json_schema_2020_12_tool", description: "Tool with JSON Schema 2020-12 features for conformance testing (SEP-1613)", inputSchema: SCHEMA_2020_12 },
    run: async (a) => text(`JSON Schema 2020-12 tool called with: ${JSON.stringify(a)}`),
  },
];

interface FixtureResource {
  readonly meta: Resource;
  readonly body: { text: string } | { blob: string };
}

const RESOURCES: readonly FixtureResource[] = [
  { meta: { uri: "test://static-text", name: "static-text", title: "Static Text Resource", description: "A static text resource for testing", mimeType: "text/plain" }, body: { text: "This is the content of the static text resource." } },
  { meta: { uri: "test://static-binary", name: "static-binary", title: "Static Binary Resource", description: "A static binary resource (image) for testing", mimeType: "image/png" }, body: { blob: IMAGE } },
  { meta: { uri: "test://watched-resource", name: "watched-resource", title: "Watched Resource", description: "A resource whose subscribers hear of every change", mimeType: "text/plain" }, body: { text: "Watched resource content" } },
];
const TEMPLATE = /^test:\/\/template\/([^/]+)\/data$/;

interface FixturePrompt {
  readonly meta: Prompt;
  get(args: Record<string, string>): Promise<{ messages: { role: "user"; content: CallToolResult["content"][number] }[] }>;
}

const PROMPTS: readonly FixturePrompt[] = [
  { meta: { name: "test_simple_prompt", title: "Simple Test Prompt", description: "A simple prompt without arguments" }, get: async () => ({ messages: [{ role: "user", content: { type: "text", text: "This is a simple prompt for testing." } }] }) },
  {
    meta: { name: "test_prompt_with_arguments", title: "Prompt With Arguments", description: "A prompt with required arguments", arguments: [{ name: "arg1", description: "First test argument", required: true }, { name: "arg2", description: "Second test argument", required: true }] },
    get: async (a) => ({ messages: [{ role: "user", content: { type: "text", text: `Prompt with arguments: arg1='${a["arg1"] ?? ""}', arg2='${a["arg2"] ?? ""}'` } }] }),
  },
  {
    meta: { name: "test_prompt_with_embedded_resource", title: "Prompt With Embedded Resource", description: "A prompt that includes an embedded resource", arguments: [{ name: "resourceUri", description: "URI of the resource to embed", required: true }] },
    get: async (a) => ({
      messages: [
        { role: "user", content: { type: "resource", resource: { uri: a["resourceUri"] ?? "", mimeType: "text/plain", text: "Embedded resource content for testing." } } },
        { role: "user", content: { type: "text", text: "Please process the embedded resource above." } },
      ],
    }),
  },
  {
    meta: { name: "test_prompt_with_image", title: "Prompt With Image", description: "A prompt that includes image content" },
    get: async () => ({ messages: [{ role: "user", content: { type: "image", data: IMAGE, mimeType: "image/png" } }, { role: "user", content: { type: "text", text: "Please analyze the image above." } }] }),
  },
];

export function conformanceSurface(): McpSurface {
  const watchers = new Map<string, Set<() => void>>();
  return {
    info: { name: "aios-conformance-fixture", version: "1.0.0" },
    instructions: "The MCP conformance suite's fixture content served by AIOS's MCP server code.",
    listTools: async () => TOOLS.map((t) => t.def),
    async callTool(name, args, ctx) {
      const tool = TOOLS.find((t) => t.def.name === name);
      if (tool === undefined) throw new AiosError("E_NO_TOOL", `no tool named "${name}"`, { details: { path: "params.name" } });
      try {
        return await tool.run(args, ctx);
      } catch (e) {
        // A tool that fails is a result with isError (the model sees it), not a protocol error.
        return { isError: true, content: [{ type: "text", text: e instanceof Error ? e.message : String(e) }] };
      }
    },
    resources: {
      list: async () => RESOURCES.map((r) => r.meta),
      templates: () => [{ uriTemplate: "test://template/{id}/data", name: "template", title: "Resource Template", description: "A resource template with parameter substitution", mimeType: "application/json" }],
      async read(uri) {
        const fixed = RESOURCES.find((r) => r.meta.uri === uri);
        if (fixed !== undefined) return { contents: [{ uri, mimeType: fixed.meta.mimeType ?? "text/plain", ...fixed.body }] };
        const id = TEMPLATE.exec(uri)?.[1];
        if (id !== undefined) return { contents: [{ uri, mimeType: "application/json", text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }] };
        throw new AiosError("E_NOT_FOUND", `no resource ${uri}`, { details: { uri } });
      },
      async watch(uri, _ctx, changed) {
        if (!RESOURCES.some((r) => r.meta.uri === uri) && !TEMPLATE.test(uri)) throw new AiosError("E_NOT_FOUND", `no resource ${uri}`, { details: { uri } });
        const set = watchers.get(uri) ?? new Set<() => void>();
        watchers.set(uri, set);
        set.add(changed);
        return () => set.delete(changed);
      },
    },
    prompts: {
      list: async () => PROMPTS.map((p) => p.meta),
      async get(name, args) {
        const p = PROMPTS.find((x) => x.meta.name === name);
        if (p === undefined) throw new AiosError("E_INVALID_ARG", `no prompt named "${name}"`, { details: { path: "params.name" } });
        for (const a of p.meta.arguments ?? []) {
          if (a.required === true && args[a.name] === undefined) throw new AiosError("E_INVALID_ARG", `prompt ${name}: argument "${a.name}" is required`, { details: { path: `params.arguments.${a.name}` } });
        }
        return p.get(args);
      },
    },
    complete: async () => ({ values: [], total: 0, hasMore: false }),
  };
}
