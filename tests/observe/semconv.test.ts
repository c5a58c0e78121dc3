/**
 * The span attribute names in src/observe/semconv.ts against a vendored copy of the OpenTelemetry
 * semantic conventions registry entries (fixtures/semconv-registry.json, its source named inside):
 * every gen_ai.* / error.* name we write is a registered attribute, every operation name a registered
 * value, our own names sit under `aios.`, and the vendored copy still matches the installed package
 * (an upgrade that renames an attribute fails here, not in someone's tracing backend).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as incubating from "@opentelemetry/semantic-conventions/incubating";
import { describe, expect, it } from "vitest";
import { AIOS_ATTR, ATTR, OPERATION } from "../../src/observe/index.js";
import { START } from "../../src/observe/semconv.js";

interface Registry {
  readonly source: string;
  readonly attributes: Record<string, string>;
  readonly operationNames: Record<string, string>;
}

const registry = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures/semconv-registry.json"), "utf8")) as Registry;

describe("observe: attribute names follow the semantic conventions", () => {
  it("uses only registered gen_ai.* and error.* attribute names", () => {
    expect(Object.keys(registry.attributes).length).toBeGreaterThan(50);
    for (const name of Object.values(ATTR)) expect(registry.attributes, name).toHaveProperty([name]);
  });

  it("uses only registered gen_ai.operation.name values", () => {
    for (const op of Object.values(OPERATION)) expect(registry.operationNames, op).toHaveProperty([op]);
  });

  it("keeps its own attributes under aios.", () => {
    for (const name of Object.values(AIOS_ATTR)) expect(name).toMatch(/^aios\.[a-z_]+(\.[a-z_]+)*$/);
  });

  it("writes the step spans' start attributes under those names only", () => {
    const names = new Set<string>([...Object.values(ATTR), ...Object.values(AIOS_ATTR)]);
    const starts = [START.invokeAgent("ag_1", "a", "default"), START.chat("m", "LlmInvoke"), START.executeTool("t", "ToolCall")];
    for (const attrs of starts) for (const k of Object.keys(attrs)) expect(names.has(k), k).toBe(true);
  });

  it("has a vendored registry that matches the installed @opentelemetry/semantic-conventions", () => {
    const exported = incubating as unknown as Record<string, unknown>;
    for (const [name, constant] of Object.entries(registry.attributes)) expect(exported[constant], constant).toBe(name);
    for (const [value, constant] of Object.entries(registry.operationNames)) expect(exported[constant], constant).toBe(value);
  });
});
