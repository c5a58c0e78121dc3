/**
 * A booted AIOS with the A2A server on a real gateway (loopback, port 0) for the A2A tests, and
 * the agents they talk to (code logics registered at boot):
 * - echo: answers `echo: <text>`;
 * - gate: answers `released: <text>` once the test opens the gate named by the text (a turn held open);
 * - asker: asks for input on the first turn (input-required), answers on the second;
 * - hidden: the same as echo but not exposed over A2A.
 */
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControlPlane, startA2a, startGateway, type A2aServer, type Gateway } from "../../../src/gateway/index.js";
import { boot, type Aios } from "../../../src/sdk/index.js";
import { silentLogger, type AgentLogic } from "../../../src/index.js";

export const TOKEN = "a2a-test-api-token-0123456789";

const gates = new Map<string, () => void>();
const waiting = new Map<string, Promise<void>>();
function gateFor(key: string): Promise<void> {
  let p = waiting.get(key);
  if (p === undefined) {
    p = new Promise<void>((r) => gates.set(key, r));
    waiting.set(key, p);
  }
  return p;
}
export function open(key: string): void {
  void gateFor(key);
  gates.get(key)?.();
}

const text = (m: unknown): string => (typeof m === "object" && m !== null && typeof (m as { text?: unknown }).text === "string" ? (m as { text: string }).text : "");

export const LOGICS: Record<string, AgentLogic> = {
  echo: { receive: (s, m, ctx) => (ctx.reply(`echo: ${text(m)}`), s) },
  gate: {
    async receive(s, m, ctx) {
      await gateFor(text(m));
      ctx.reply(`released: ${text(m)}`);
      return s;
    },
  },
  asker: {
    init: () => ({ asked: {} as Record<string, boolean> }),
    receive(s: { asked: Record<string, boolean> }, m, ctx) {
      const task = (m as { a2a?: { taskId?: string } }).a2a?.taskId ?? "";
      if (s.asked[task] !== true) {
        ctx.reply({ a2a: { state: "input-required", text: "which color?" } });
        return { asked: { ...s.asked, [task]: true } };
      }
      ctx.reply(`you chose ${text(m)}`);
      return s;
    },
  },
};

export interface Harness {
  readonly dir: string;
  readonly os: Aios;
  readonly a2a: A2aServer;
  readonly gw: Gateway;
  readonly ids: Record<string, string>;
  close(): Promise<void>;
}

export async function startHarness(o: { operatorCapabilities?: readonly string[]; pushRetryMs?: number } = {}): Promise<Harness> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "aios-a2a-")));
  const os = await boot({ dataDir: join(dir, "data"), logger: silentLogger, logics: LOGICS, subsystems: { embedder: false, memory: false, mcp: false } });
  const ids: Record<string, string> = {};
  for (const name of ["echo", "gate", "asker"]) ids[name] = await os.spawn({ name, kind: "code", logic: name, a2a: true, description: `the ${name} agent` });
  ids["hidden"] = await os.spawn({ name: "hidden", kind: "code", logic: "echo" });
  const a2a = startA2a(os, { apiToken: TOKEN, version: "test", ...(o.operatorCapabilities === undefined ? {} : { operatorCapabilities: o.operatorCapabilities }), pushAttempts: 2, pushRetryMs: o.pushRetryMs ?? 10 });
  const gw = await startGateway(new ControlPlane(os), { token: TOKEN, port: 0, a2a: a2a.endpoint });
  return {
    dir,
    os,
    a2a,
    gw,
    ids,
    async close() {
      await gw.close();
      a2a.close();
      await os.shutdown();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A raw JSON-RPC call (what the SDK client sends, without the SDK). */
export async function rpc(url: string, method: string, params: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: { result?: unknown; error?: { code: number; message: string; data?: unknown[] } }; headers: Headers }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}`, "a2a-version": "1.0", ...headers }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
  return { status: res.status, body: (await res.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown[] } }, headers: res.headers };
}

export function userMessage(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { messageId: `m-${Math.random().toString(36).slice(2)}`, role: "ROLE_USER", parts: [{ text }], ...extra };
}
