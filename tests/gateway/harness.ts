/**
 * A real gateway for the route tests: a kernel with the default stack in a temp data dir, the
 * control plane over it and the HTTP server on a free loopback port, plus a small JSON client
 * that answers the status and the parsed body (no client of our own between test and wire).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { expect } from "vitest";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../../src/core/index.js";
import { boot, type Aios, type BootOptions } from "../../src/sdk/index.js";
import { ControlPlane, ensureApiToken, startGateway, type Gateway } from "../../src/gateway/index.js";

export interface TestGateway {
  readonly dir: string;
  readonly os: Aios;
  readonly plane: ControlPlane;
  readonly gw: Gateway;
  readonly token: string;
  /** A request with the bearer token (unless `token` says otherwise); the body is sent as JSON. */
  call(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; json: unknown; text: string }>;
  close(): Promise<void>;
}

export async function startTestGateway(options: Omit<BootOptions, "dataDir" | "logger"> = {}): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), "aios-gwt-"));
  const dataDir = join(dir, "data");
  const os = await boot({ ...options, dataDir, logger: silentLogger });
  const plane = new ControlPlane(os);
  const token = ensureApiToken(dataDir);
  const gw = await startGateway(plane, { token, port: 0 });
  return {
    dir,
    os,
    plane,
    gw,
    token,
    async call(method, path, body, auth) {
      const t = auth === undefined ? token : auth;
      const res = await fetch(gw.url + path, {
        method,
        headers: { ...(t === null ? {} : { authorization: `Bearer ${t}` }), ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = text === "" ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, json, text };
    },
    async close() {
      await gw.close();
      plane.close();
      await os.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A route's path with every `:param` filled in. */
export function fillPath(path: string, value = "x"): string {
  return path.replace(/:([A-Za-z]+)/g, value);
}

export type Json = Record<string, unknown>;

/**
 * Assertions on a gateway started in `beforeAll` (hence the getter): `ok` expects a 200 and answers
 * the JSON; `fails` expects `status` and an error message matching `message`.
 */
export function callers(get: () => TestGateway) {
  const ok = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const r = await get().call(method, path, body);
    expect(r.status, `${method} ${path}: ${r.text}`).toBe(200);
    return r.json as Json;
  };
  const fails = async (method: string, path: string, body: unknown, status: number, message: RegExp): Promise<void> => {
    const r = await get().call(method, path, body);
    expect(r.status, `${method} ${path}: ${r.text}`).toBe(status);
    expect((r.json as { error: { message: string } }).error.message).toMatch(message);
  };
  return { ok, fails };
}
