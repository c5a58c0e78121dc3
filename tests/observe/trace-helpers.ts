/**
 * What the tracing tests share: an OS booted with the scripted OpenAI-compatible model on a loopback
 * server, the `add` tool and tracing into an in-memory exporter (or off); flushing the exporter
 * before reading it; span lookups; and a real OTLP/HTTP receiver on loopback that decodes the JSON
 * the OTLP exporter posts (the wire format a collector reads), for the tests of the tracing switch.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { z } from "zod";
import { silentLogger } from "../../src/core/index.js";
import { boot, type Aios, type BootOptions } from "../../src/sdk/index.js";
import { defineTool } from "../../src/tools/index.js";

/** A pure tool the scripted models call: adds two numbers. */
export const addTool = defineTool({
  name: "add",
  description: "adds two numbers",
  input: z.strictObject({ a: z.number(), b: z.number() }),
  sideEffect: false,
  requires: () => [],
  execute: async ({ a, b }) => a + b,
});

export interface TracedOs {
  readonly os: Aios;
  /** Where the OS's spans go (empty when tracing is off). */
  readonly exporter: InMemorySpanExporter;
}

/**
 * The default stack on `dataDir` (no embedder), the model `scripted` served at `modelUrl` (OpenAI
 * wire format), the `add` tool, and tracing into a fresh in-memory exporter unless `tracing: false`.
 * `extra` options are merged in (its subsystems beside observe's).
 */
export async function bootTraced(o: { dataDir: string; modelUrl: string; logics?: BootOptions["logics"]; tracing?: boolean; extra?: BootOptions }): Promise<TracedOs> {
  const exporter = new InMemorySpanExporter();
  const extra = o.extra ?? {};
  const os = await boot({
    dataDir: o.dataDir,
    logger: silentLogger,
    ...(o.logics === undefined ? {} : { logics: o.logics }),
    models: { scripted: { provider: "openai", baseURL: `${o.modelUrl}/v1`, apiKey: "sk-test", model: "scripted-1" } },
    ...extra,
    subsystems: { embedder: false, ...(o.tracing === false ? {} : { observe: { tracing: { exporter } } }), ...(extra.subsystems ?? {}) },
  });
  os.tools.register(addTool);
  return { os, exporter };
}

/** Lets event subscribers run, then drains the batch processors (read an in-memory exporter before shutdown: it forgets on shutdown). */
export async function flushed(os: Aios): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await os.subsystems.observe?.tracing?.forceFlush();
}

export const byName = (spans: readonly ReadableSpan[], prefix: string): ReadableSpan[] => spans.filter((s) => s.name.startsWith(prefix));
export const spanId = (s: ReadableSpan | undefined): string | undefined => s?.spanContext().spanId;
export const parentId = (s: ReadableSpan | undefined): string | undefined => s?.parentSpanContext?.spanId;

/** One span as OTLP/JSON carries it (the fields the tests read). */
export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly attributes: Record<string, unknown>;
  /** service.name of the resource it came under. */
  readonly service: string | undefined;
}

const AnyValue: z.ZodType<unknown> = z.lazy(() =>
  z.object({
    stringValue: z.string().optional(),
    boolValue: z.boolean().optional(),
    intValue: z.union([z.string(), z.number()]).optional(),
    doubleValue: z.number().optional(),
    arrayValue: z.object({ values: z.array(AnyValue).optional() }).optional(),
  }),
);
const KeyValue = z.object({ key: z.string(), value: AnyValue });
/** ExportTraceServiceRequest in the OTLP/JSON encoding (ids hex, enums numbers). */
const ExportRequest = z.object({
  resourceSpans: z.array(z.object({
    resource: z.object({ attributes: z.array(KeyValue).optional() }).optional(),
    scopeSpans: z.array(z.object({
      spans: z.array(z.object({ traceId: z.string().regex(/^[0-9a-f]{32}$/), spanId: z.string().regex(/^[0-9a-f]{16}$/), parentSpanId: z.string().optional(), name: z.string(), attributes: z.array(KeyValue).optional() })).optional(),
    })).optional(),
  })),
});

function plain(v: unknown): unknown {
  const x = v as { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number; arrayValue?: { values?: unknown[] } };
  if (x.stringValue !== undefined) return x.stringValue;
  if (x.boolValue !== undefined) return x.boolValue;
  if (x.intValue !== undefined) return Number(x.intValue);
  if (x.doubleValue !== undefined) return x.doubleValue;
  if (x.arrayValue !== undefined) return (x.arrayValue.values ?? []).map(plain);
  return undefined;
}
const attrs = (kvs: readonly z.infer<typeof KeyValue>[] | undefined): Record<string, unknown> => Object.fromEntries((kvs ?? []).map((kv) => [kv.key, plain(kv.value)]));

/** An OTLP/HTTP collector on a free loopback port: POST /v1/traces with OTLP/JSON, answered 200 `{}`. */
export class OtlpReceiver {
  readonly spans: OtlpSpan[] = [];
  /** Requests that were not OTLP/JSON traces (wrong path, type or shape): a test expects none. */
  readonly rejected: string[] = [];
  private server: Server | undefined;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const type = req.headers["content-type"] ?? "";
        const body = Buffer.concat(chunks).toString("utf8");
        const parsed = req.method === "POST" && req.url === "/v1/traces" && type.startsWith("application/json") ? ExportRequest.safeParse(JSON.parse(body)) : undefined;
        if (parsed?.success !== true) {
          this.rejected.push(`${req.method ?? "?"} ${req.url ?? "?"} ${type}: ${body.slice(0, 200)}`);
          res.writeHead(400).end();
          return;
        }
        for (const rs of parsed.data.resourceSpans) {
          const service = attrs(rs.resource?.attributes)["service.name"];
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              this.spans.push({ traceId: s.traceId, spanId: s.spanId, ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}), name: s.name, attributes: attrs(s.attributes), service: typeof service === "string" ? service : undefined });
            }
          }
        }
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, "127.0.0.1", r));
    return this;
  }

  /** The collector's base URL (`http://127.0.0.1:<port>`). */
  get url(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server === undefined ? r() : this.server.close(() => r())));
  }
}
