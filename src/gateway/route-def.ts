/**
 * What one row of the route table is (routes.ts): method, path, the zod schemas of its body and
 * query, and the call it makes on the gateway's API. Its own file so the table's parts (routes.ts,
 * routes-os.ts) can share it without importing each other.
 */
import type { z } from "zod";
import type { ControlApi } from "./api.js";
import type { OsApi } from "./os-api.js";

/** What the routes call: process control (ControlApi) and the operator services (OsApi). */
export type GatewayApi = ControlApi & OsApi;

export interface RouteInput {
  readonly params: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly query: Readonly<Record<string, string>>;
}

export interface RouteDef {
  readonly method: "get" | "post" | "put" | "delete";
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: "agents" | "events" | "approvals" | "escalations" | "caps" | "audit" | "store" | "planner" | "market" | "ledger" | "memory" | "tools" | "secrets" | "runs" | "policy";
  readonly body?: z.ZodType;
  readonly query?: z.ZodType;
  /** The 200 answer's JSON: documented in /openapi.json and checked against real answers in the tests. */
  readonly response: z.ZodType;
  /** The answer's JSON (undefined answers `{ "ok": true }`). */
  readonly run: (api: GatewayApi, input: RouteInput) => Promise<unknown>;
  /** A route that can also answer a text/event-stream (e.g. an LLM run's chunks). */
  readonly stream?: StreamRoute;
}

export interface StreamRoute {
  /** Whether this request asks for the stream; throws (a 400, before any byte is sent) on bad input. */
  wants(input: RouteInput, accept: string | undefined): boolean;
  /** Sends the events; ends when done or when `signal` aborts (the client went away, the daemon drains). */
  run(api: GatewayApi, input: RouteInput, send: (event: string, data: unknown) => Promise<void>, signal: AbortSignal): Promise<void>;
}
