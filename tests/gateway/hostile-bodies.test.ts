/**
 * Bodies built to break the API, from the client's side. A JSON body nested a hundred thousand
 * levels deep parsed fine (JSON.parse does not recurse) and then overflowed the stack in the route
 * schema's recursive check: the client got 500 E_INTERNAL "Maximum call stack size exceeded" and
 * the daemon logged nothing. It is now refused as a bad argument naming the limit, and an error the
 * taxonomy does not name is reported to the operator (the daemon's kernel error), with its route.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BODY_DEPTH, buildApp, nestingDepth } from "../../src/gateway/server.js";
import type { GatewayApi } from "../../src/gateway/index.js";
import { startTestGateway, type TestGateway } from "./harness.js";

let g: TestGateway;
beforeAll(async () => {
  g = await startTestGateway();
  await g.os.spawn({ name: "w", kind: "code", logic: { init: () => 0, receive: (s: number) => s } });
});
afterAll(() => g.close());

const nested = (n: number): string => "[".repeat(n) + "]".repeat(n);

async function post(path: string, body: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(g.gw.url + path, { method: "POST", headers: { authorization: `Bearer ${g.token}`, "content-type": "application/json" }, body });
  return { status: res.status, json: JSON.parse(await res.text()) as unknown };
}

describe("a body nested too deep", () => {
  it("is refused with E_INVALID_ARG naming the limit, on every route that takes a body", async () => {
    for (const [path, body] of [
      ["/v1/agents/w/send", `{"payload":${nested(100_000)}}`],
      ["/v1/agents", `{"spec":{"name":"d","kind":"code","logic":"x","args":${nested(100_000)}}}`],
      ["/v1/memory/query", `{"query":"x","filter":${nested(MAX_BODY_DEPTH + 1)}}`],
    ] as const) {
      const r = await post(path, body);
      expect(r.status, path).toBe(400);
      expect(r.json, path).toMatchObject({ error: { code: "E_INVALID_ARG", message: `body: arrays and objects nested more than ${MAX_BODY_DEPTH} levels deep`, details: { path: "body" } } });
    }
    expect(g.os.status("w").status).toBe("running");
  });

  it("is taken up to the limit", async () => {
    // The body's own object is one level: the payload may nest one less.
    expect(await post("/v1/agents/w/send", `{"payload":${nested(MAX_BODY_DEPTH - 1)}}`)).toEqual({ status: 200, json: { ok: true } });
  });

  it("is measured on the text as JSON nests it, whatever the strings hold", () => {
    const depth = (v: unknown): number => (typeof v === "object" && v !== null ? 1 + Math.max(0, ...Object.values(v).map(depth)) : 0);
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (v) => {
        expect(nestingDepth(JSON.stringify(v), Infinity)).toBe(depth(v));
      }),
      { numRuns: 2_000 },
    );
    expect(nestingDepth(`{"a":"[[[{\\"]]]","b":[["\\\\"]]}`, Infinity)).toBe(3);
  });
});

describe("an error the taxonomy does not name", () => {
  it("answers 500 E_INTERNAL and is reported to the operator with its route", async () => {
    const seen: string[] = [];
    const api = new Proxy({}, { get: () => () => { throw new TypeError("a bug"); } }) as unknown as GatewayApi;
    const app = buildApp(api, { token: "t", onInternalError: (e, where) => seen.push(`${where}: ${(e as Error).message}`) }, { draining: false, streams: new Set() });
    const res = await app.request("/v1/agents/x", { headers: { authorization: "Bearer t" } });
    expect(res.status).toBe(500);
    expect(JSON.parse(await res.text())).toMatchObject({ error: { code: "E_INTERNAL" } });
    expect(seen).toEqual(["GET /v1/agents/x: a bug"]);
    // A refusal of the taxonomy is the client's answer, not the operator's bug.
    const refused = await app.request("/v1/agents/x/send", { method: "POST", headers: { authorization: "Bearer t", "content-type": "application/json" }, body: "{bad" });
    expect(refused.status).toBe(400);
    expect(seen).toHaveLength(1);
  });
});
