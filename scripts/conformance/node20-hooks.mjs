// Module hooks (see node20-register.mjs): "fs" imported from inside the conformance package resolves
// to a module re-exporting node:fs plus a globSync that says why it is missing. Nothing else changes.
const SHIM = "aios-node20:fs";

export async function resolve(specifier, context, next) {
  if ((specifier === "fs" || specifier === "node:fs") && context.parentURL?.includes("/@modelcontextprotocol/conformance/")) return { url: SHIM, shortCircuit: true };
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (url !== SHIM) return next(url, context);
  const source = [
    'import fs from "node:fs";',
    'export * from "node:fs";',
    "export default fs;",
    'export function globSync() { throw new Error("fs.globSync needs Node >= 22 (used by the conformance tier-check command only)"); }',
  ].join("\n");
  return { format: "module", source, shortCircuit: true };
}
