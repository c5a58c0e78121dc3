/**
 * What an unattended AIOS answers when an MCP server asks for input (`elicitation/create`): there is
 * no person at the other end of a tool call, so the only answer it can give honestly is the form's
 * own defaults. A form whose required fields all have defaults is accepted empty (the SDK fills in
 * the defaults, SEP-1034); any other form, and URL-mode elicitation, is declined. Opt-in per server
 * (`elicitation: "defaults"` in its entry); without it the client declares no elicitation capability.
 */
import type { ElicitRequest, ElicitResult } from "@modelcontextprotocol/sdk/types.js";

export function answerWithDefaults(params: ElicitRequest["params"]): Promise<ElicitResult> {
  if (!("requestedSchema" in params)) return Promise.resolve({ action: "decline" });
  const schema = params.requestedSchema;
  const required = schema.required ?? [];
  const allDefaulted = required.every((k) => {
    const p = schema.properties[k] as { default?: unknown } | undefined;
    return p?.default !== undefined;
  });
  return Promise.resolve(allDefaulted ? { action: "accept", content: {} } : { action: "decline" });
}
