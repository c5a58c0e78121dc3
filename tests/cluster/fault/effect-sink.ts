/**
 * The outside world of the fault suite: an HTTP service on loopback that the nodes' side-effecting
 * tool calls (fault-node.ts, tool `fault.effect`). Like a payment API it honours an Idempotency-Key:
 * the first request with a key applies the effect, a repeat of the key is answered with the first
 * result and applies nothing. Every request is recorded (`executions`), so the checker can tell a
 * retry under the same key (harmless, counted) from one logical effect applied under two keys
 * (a duplicated side effect: the kernel replayed a call under a different key).
 */
import { createServer, type Server } from "node:http";

export interface Execution {
  readonly key: string;
  /** The logical effect: `<agent>/<op>/<hop>`. */
  readonly effect: string;
  readonly node: string;
  /** Whether this request applied the effect (first of its key). */
  readonly applied: boolean;
}

export interface EffectSink {
  readonly url: string;
  readonly executions: Execution[];
  /** Forgets what was recorded (between schedules). */
  reset(): void;
  close(): Promise<void>;
}

export async function startSink(): Promise<EffectSink> {
  const executions: Execution[] = [];
  const applied = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (b: Buffer) => (body += b.toString()));
    req.on("end", () => {
      const key = req.headers["idempotency-key"];
      let parsed: { effect?: unknown; node?: unknown };
      try {
        parsed = JSON.parse(body) as { effect?: unknown; node?: unknown };
      } catch {
        parsed = {};
      }
      if (typeof key !== "string" || typeof parsed.effect !== "string" || typeof parsed.node !== "string") {
        res.writeHead(400).end();
        return;
      }
      const first = !applied.has(key);
      if (first) applied.set(key, parsed.effect);
      executions.push({ key, effect: parsed.effect, node: parsed.node, applied: first });
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ key, effect: applied.get(key) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("sink: no port");
  return {
    url: `http://127.0.0.1:${addr.port}/effect`,
    executions,
    reset() {
      executions.length = 0;
      applied.clear();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
