/**
 * The OpenAPI 3.1 document served at /openapi.json, generated from the route table (routes.ts): the
 * body and query schemas are the very zod schemas the server validates with, converted by
 * z.toJSONSchema, so the document describes exactly what is accepted.
 */
import { z } from "zod";
import { ROUTES, type RouteDef } from "./routes.js";

type Json = Record<string, unknown>;

const ERROR_REF = { $ref: "#/components/schemas/Error" };

function jsonSchema(schema: z.ZodType): Json {
  // "input": what a client sends (before defaults and transforms); unrepresentable parts become {}.
  const s = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Json;
  delete s["$schema"];
  return s;
}

function queryParameters(schema: z.ZodType): Json[] {
  const s = jsonSchema(schema);
  const props = (s["properties"] ?? {}) as Record<string, Json>;
  const required = new Set((s["required"] ?? []) as string[]);
  return Object.entries(props).map(([name, p]) => ({ name, in: "query", required: required.has(name), schema: p }));
}

function operation(r: RouteDef): Json {
  const pathParams = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
  const parameters = [...pathParams, ...(r.query ? queryParameters(r.query) : [])];
  return {
    operationId: r.operationId,
    summary: r.summary,
    tags: [r.tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    // A body is optional exactly when the route accepts an empty object (it reads a missing body as {}).
    ...(r.body ? { requestBody: { required: !r.body.safeParse({}).success, content: { "application/json": { schema: jsonSchema(r.body) } } } } : {}),
    responses: {
      "200": {
        description: "OK",
        content: {
          "application/json": { schema: {} },
          ...(r.operationId === "events" ? { "text/event-stream": { schema: { type: "string", description: "SSE: one `event: kernel` per KernelEvent, data is its JSON" } } } : {}),
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
  for (const r of ROUTES) {
    const p = r.path.replace(/:([A-Za-z]+)/g, "{$1}");
    paths[p] = { ...(paths[p] ?? {}), [r.method]: operation(r) };
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
    info: { title: "AIOS control API", version, description: "The daemon's API (`aios up`): agents, events, approvals, escalations, capabilities, audit. Loopback only; every request needs `Authorization: Bearer <token>` from <dataDir>/api-token." },
    servers: [{ url: "http://127.0.0.1:7878" }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message", "retryable"],
              properties: { code: { type: "string", example: "E_INVALID_ARG" }, message: { type: "string" }, retryable: { type: "boolean" }, details: { type: "object" } },
            },
          },
        },
      },
    },
  };
}
