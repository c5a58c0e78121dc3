/**
 * AiosErrors on the MCP wire. Bad input and unknown names are JSON-RPC "invalid params" (-32602), a
 * missing resource is MCP's -32002, anything else an internal error (-32603); the AIOS code and
 * whether a retry may help travel in `data`, so a client can tell E_CAP_DENIED from E_UNAVAILABLE.
 */
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { toAiosError } from "../../core/index.js";

export const RESOURCE_NOT_FOUND = -32002;

export function toMcpError(e: unknown): McpError {
  if (e instanceof McpError) return e;
  const err = toAiosError(e);
  const code =
    err.code === "E_INVALID_ARG" || err.code === "E_NO_TOOL" ? ErrorCode.InvalidParams : err.code === "E_NOT_FOUND" ? RESOURCE_NOT_FOUND : ErrorCode.InternalError;
  return new McpError(code, err.message, { code: err.code, retryable: err.retryable });
}
