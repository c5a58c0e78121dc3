// Node 20 compatibility for @modelcontextprotocol/conformance: its bundle imports `globSync` from
// "fs" (Node >= 22) at the top level although only its `tier-check` command calls it. On a Node
// without fs.globSync this registers node20-hooks.mjs, which gives the suite's modules an "fs" that
// has one. On Node >= 22 it does nothing.
import fs from "node:fs";
import { register } from "node:module";

if (typeof fs.globSync !== "function") register("./node20-hooks.mjs", import.meta.url);
