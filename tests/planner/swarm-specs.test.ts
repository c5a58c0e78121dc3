/**
 * The swarm templates (examples/specs/swarm/*.yaml: planner, executor, critic, memory, interface)
 * parse with the kernel's spec parser, and every capability they ask for parses with the one
 * capability grammar — a template a user spawns must not fail at spawn time.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { parseSpec } from "../../src/abi/index.js";
import { parseCapability } from "../../src/capability/index.js";

const DIR = fileURLToPath(new URL("../../examples/specs/swarm/", import.meta.url));

describe("swarm templates", () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".yaml")).sort();

  it("ships the five roles", () => {
    expect(files).toEqual(["critic.yaml", "executor.yaml", "interface.yaml", "memory.yaml", "planner.yaml"]);
  });

  for (const f of files) {
    it(`${f} parses as an agent spec with valid capabilities`, () => {
      const spec = parseSpec(parseYaml(readFileSync(join(DIR, f), "utf8")), f);
      expect(spec.name).toBe(`swarm-${f.replace(".yaml", "")}`);
      expect(spec.kind).toBe("llm");
      expect(spec.capabilities.length).toBeGreaterThan(0);
      spec.capabilities.forEach((c, i) => expect(parseCapability(c, `${f} capabilities[${i}]`).source).toBe(c));
    });
  }
});
