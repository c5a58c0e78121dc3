/**
 * The operator's tracing switch (issue #13): the `tracing:` section of `<dataDir>/config.yaml` and
 * `aios up --otlp <url> [--trace-sample <ratio>]`, turned into the TracingOptions observe builds
 * from. Tracing is off by default and costs nothing then (the OpenTelemetry SDK is not even loaded);
 * `enabled: true` alone keeps spans for the dashboard's traces view; an `otlpEndpoint` also exports
 * them by OTLP/HTTP (JSON). The endpoint may be the collector's base (`http://127.0.0.1:4318`, as
 * OTEL_EXPORTER_OTLP_ENDPOINT is) or the full traces URL (`.../v1/traces`). The environment's
 * OTEL_* variables do not turn tracing on: the switch is this one, so a variable set for another
 * program never starts an export the operator did not ask for. Loaded without the tracing SDK.
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import type { TracingOptions } from "./tracing.js";

export const TracingConfigSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** OTLP/HTTP endpoint: the collector's base URL or its /v1/traces URL. */
  otlpEndpoint: z.string().min(1).optional(),
  /** Share of traces kept, 0..1 (default 1). */
  sampleRatio: z.number().min(0).max(1).optional(),
  /** Headers sent with every export (e.g. an authorization a collector wants). */
  headers: z.record(z.string(), z.string()).optional(),
  serviceName: z.string().min(1).optional(),
});

export type TracingConfig = z.input<typeof TracingConfigSchema>;

/**
 * The TracingOptions a config asks for, or undefined when tracing stays off. `field` names where the
 * config came from in an error (`config.yaml: tracing.otlpEndpoint`, `--otlp`).
 */
export function tracingFromConfig(input: TracingConfig | undefined, field = "tracing"): TracingOptions | undefined {
  if (input === undefined) return undefined;
  const c = TracingConfigSchema.parse(input);
  if (!c.enabled) return undefined;
  return {
    ...(c.otlpEndpoint === undefined ? {} : { endpoint: otlpTracesUrl(c.otlpEndpoint, `${field}.otlpEndpoint`) }),
    ...(c.sampleRatio === undefined ? {} : { sampleRatio: c.sampleRatio }),
    ...(c.headers === undefined ? {} : { headers: c.headers }),
    ...(c.serviceName === undefined ? {} : { serviceName: c.serviceName }),
  };
}

/** An http(s) URL; a bare base (no path) gets the OTLP traces path `/v1/traces`. */
export function otlpTracesUrl(raw: string, field: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch (e) {
    throw new AiosError("E_CONFIG", `${field}: not a URL: ${raw}`, { cause: e, details: { path: field } });
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new AiosError("E_CONFIG", `${field}: OTLP/HTTP needs an http or https URL, got ${u.protocol}`, { details: { path: field } });
  }
  if (u.pathname === "/" || u.pathname === "") u.pathname = "/v1/traces";
  return u.toString();
}
