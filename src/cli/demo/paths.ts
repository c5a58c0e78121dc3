/** Where the demo's example agents and its child-process script live (found from this file, not the cwd). */
import { fileURLToPath } from "node:url";

/** The demo's module root (docs/adr/0022): its example agents, wherever the demo is run from. */
export const EXAMPLE_AGENTS = fileURLToPath(new URL("../../../examples/agents/", import.meta.url));
export const WORKER_MODULE = fileURLToPath(new URL("../../../examples/agents/worker.ts", import.meta.url));
export const COUNTER_MODULE = fileURLToPath(new URL("../../../examples/agents/counter.ts", import.meta.url));
/** The child script beside this file: .ts from the sources, .js from dist/. */
export const DURABLE_CHILD = fileURLToPath(new URL(`./durable-child.${import.meta.url.endsWith(".ts") ? "ts" : "js"}`, import.meta.url));
export const MODEL_FILE = fileURLToPath(new URL("../../../../shared/models/stories260K.gguf", import.meta.url));
export const MODEL_SHA256 = "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d";
export const MARKET_WORKER_MODULE = fileURLToPath(new URL("../../../examples/agents/market-worker.ts", import.meta.url));
