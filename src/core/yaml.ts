/**
 * YAML for specs, configuration and policy files, loaded on first use: the yaml package (CommonJS,
 * about 70 ms of CPU to load) is required when the first document is read or written, so a boot that
 * reads none does not pay for it (issue #17 item 6: module loading is most of a restart's time).
 */
import { createRequire } from "node:module";
import type * as YamlModule from "yaml";

type Yaml = typeof YamlModule;
let yaml: Yaml | undefined;

function load(): Yaml {
  return (yaml ??= createRequire(import.meta.url)("yaml") as Yaml);
}

/** yaml's `parse` (YAML is a superset of JSON); throws yaml's own errors, as it does. */
export function parseYaml(text: string): unknown {
  return load().parse(text);
}

/** yaml's `stringify` with its options. */
export function stringifyYaml(value: unknown, options?: Parameters<Yaml["stringify"]>[2]): string {
  return load().stringify(value, null, options);
}
