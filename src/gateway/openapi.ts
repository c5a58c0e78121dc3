/**
 * The OpenAPI 3.1 document served at /openapi.json, generated from the route table (routes.ts): the
 * body and query schemas are the very zod schemas the server validates with, converted by
 * z.toJSONSchema, so the document describes exactly what is accepted; each 200 answer is the route's
 * `response` schema, the one the tests check the server's real answers against.
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import { ErrorResponse } from "./responses.js";
import { ROUTES, type RouteDef } from "./routes.js";

type Json = Record<string, unknown>;

const ERROR_REF = { $ref: "#/components/schemas/Error" };

/** Named schemas hoisted out of the operations (a recursive one, like the tree, must be referenced). */
type Components = Record<string, Json>;

function jsonSchema(schema: z.ZodType, io: "input" | "output" = "input", components?: Components, owner = ""): Json {
  // Requests: "input", what a client sends (before defaults and transforms); answers: "output".
  // Unrepresentable parts become {}.
  const s = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
  delete s["$schema"];
  const defs = s["$defs"] as Record<string, Json> | undefined;
  if (defs === undefined) return s;
  // "#/$defs/X" would resolve against the whole OpenAPI document: hoist X into components.schemas.
  if (components === undefined) throw new AiosError("E_INTERNAL", "openapi: a schema with $defs needs the document's components");
  delete s["$defs"];
  // Anonymous definitions (zod's __schemaN, e.g. z.json()'s recursion) are named after their owner.
  const named = (n: string): string => (n.startsWith("__") ? `${owner}${n.replace(/^_+schema/, "_")}` : n);
  let text = JSON.stringify(s);
  for (const [name, def] of Object.entries(defs)) {
    const key = named(name);
    const body = JSON.stringify(def).replaceAll(/"#\/\$defs\/([A-Za-z0-9_]+)"/g, (_m, n: string) => `"#/components/schemas/${named(n)}"`);
    if (components[key] !== undefined && JSON.stringify(components[key]) !== body) throw new AiosError("E_INTERNAL", `openapi: two different schemas are named ${key}`);
    components[key] = JSON.parse(body) as Json;
  }
  text = text.replaceAll(/"#\/\$defs\/([A-Za-z0-9_]+)"/g, (_m, n: string) => `"#/components/schemas/${named(n)}"`);
  return JSON.parse(text) as Json;
}

const SSE: Record<string, string> = {
  events: "With follow=1: one `event: kernel` per KernelEvent (recent ones first, then live), data is its JSON",
  run: "With stream: true or Accept: text/event-stream: `event: chunk` per piece of the model's text (data `{ text }`), then `event: answer` (data: the 200 JSON) or `event: error` (data: the Error JSON)",
};

function queryParameters(schema: z.ZodType, components: Components, owner: string): Json[] {
  const s = jsonSchema(schema, "input", components, `${owner}Query`);
  const props = (s["properties"] ?? {}) as Record<string, Json>;
  const required = new Set((s["required"] ?? []) as string[]);
  return Object.entries(props).map(([name, p]) => ({ name, in: "query", required: required.has(name), schema: p }));
}

function operation(r: RouteDef, components: Components): Json {
  const pathParams = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
  const parameters = [...pathParams, ...(r.query ? queryParameters(r.query, components, r.operationId) : [])];
  return {
    operationId: r.operationId,
    summary: r.summary,
    tags: [r.tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    // A body is optional exactly when the route accepts an empty object (it reads a missing body as {}).
    ...(r.body ? { requestBody: { required: !r.body.safeParse({}).success, content: { "application/json": { schema: jsonSchema(r.body, "input", components, `${r.operationId}Body`) } } } } : {}),
    responses: {
      "200": {
        description: "OK",
        content: {
          "application/json": { schema: jsonSchema(r.response, "output", components, `${r.operationId}Answer`) },
          ...(SSE[r.operationId] === undefined ? {} : { "text/event-stream": { schema: { type: "string", description: SSE[r.operationId] } } }),
        },
      },
      "400": { description: "Bad input: the error names the field (E_INVALID_ARG, E_INVALID_SPEC)", content: { "application/json": { schema: ERROR_REF } } },
      "401": { description: "Missing or wrong bearer token", content: { "application/json": { schema: ERROR_REF } } },
      "404": { description: "No such agent or item", content: { "application/json": { schema: ERROR_REF } } },
      "503": { description: "The daemon is draining (shutting down)", content: { "application/json": { schema: ERROR_REF } } },
      default: { description: "Any other AiosError", content: { "application/json": { schema: ERROR_REF } } },
    },
  };
}

export function openApiDocument(version: string): Json {
  const paths: Record<string, Json> = {};
  const components: Components = { Error: jsonSchema(ErrorResponse, "output") };
  for (const r of ROUTES) {
    const p = r.path.replace(/:([A-Za-z]+)/g, "{$1}");
    paths[p] = { ...(paths[p] ?? {}), [r.method]: operation(r, components) };
  }
  paths["/metrics"] = {
    get: {
      operationId: "metrics",
      summary: "This instance's metrics in the Prometheus text exposition format",
      tags: ["observe"],
      responses: {
        "200": { description: "OK", content: { "text/plain": { schema: { type: "string" } } } },
        "401": { description: "Missing or wrong bearer token", content: { "application/json": { schema: ERROR_REF } } },
      },
    },
  };
  return {
    openapi: "3.1.0",
    info: { title: "AIOS control API", version, description: "The daemon's API (`aios up`): agents and their whole lifecycle, LLM runs, events (SSE; WebSocket at /v1/events/ws with the token in Authorization or the subprotocols `bearer, <token>`), memory, tools, secrets, approvals, escalations, capabilities, policy, audit, planner, market, ledger. Loopback only; every request needs `Authorization: Bearer <token>` from <dataDir>/api-token." },
    servers: [{ url: "http://127.0.0.1:7878" }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: components,
    },
  };
}
