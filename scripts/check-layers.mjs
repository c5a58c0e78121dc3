#!/usr/bin/env node
/**
 * The layer rule of DESIGN.md ("Layers"), checked on every `src/**\/*.ts` file:
 *   (a) a file imports another module only through that module's `index.ts` (no deep imports);
 *   (b) a module imports only modules below it in LAYERS, or a module of its own rank when the pair is
 *       listed in SAME_RANK_ALLOWED (each with the reason it exists);
 *   (c) only the kernel itself and the composition root (KERNEL_CLASS_ALLOWED) name the `Kernel`
 *       class: a subsystem is a factory handed the narrow SubsystemHost (docs/adr/0021).
 * Imports counted: `import ... from`, `import type`, side-effect `import "x"`, `export ... from`,
 * dynamic `import("x")` and type-level `import("x").T`, all with a string literal. A module
 * augmentation (`declare module "../abi/syscalls.js" { ... }`) adds to another module's types and
 * is not an import. Sources are parsed with the TypeScript compiler already in devDependencies, so
 * a specifier inside a comment or a string is never mistaken for an import.
 *
 * Usage: node scripts/check-layers.mjs [root]   (root defaults to the repository; it reads root/src)
 * Exit 0 when clean, 1 with one line per violation ("file:line: import "spec": rule") otherwise.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, posix, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

/** Bottom to top; modules in one inner array share a rank. `src/index.ts` ("<root>") is above all. */
export const LAYERS = [
  ["core"],
  ["capability"],
  ["abi"],
  ["store"],
  ["cluster"],
  ["kernel"],
  ["security", "audit", "observe"],
  ["ipc", "sched"],
  ["tools", "memory"],
  ["models"],
  ["planner"],
  ["sdk"],
  ["gateway", "web"],
  ["cli"],
  ["<root>"],
];

/**
 * Same-rank imports allowed explicitly, as "from -> to" with the reason. Today's code has none (no
 * module imports another of its own rank: checked at the commit adding this script), so the map is
 * empty and any import between two modules of one rank is an error; add a pair only with its reason.
 */
export const SAME_RANK_ALLOWED = new Map([]);

/** Modules that may import the name `Kernel` from kernel/: the composition root, which creates and holds it. */
export const KERNEL_CLASS_ALLOWED = new Set(["sdk"]);

const RANK = new Map(LAYERS.flatMap((group, rank) => group.map((m) => [m, rank])));

function tsFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** Every import specifier of a source text with its 1-based line. */
export function importsOf(fileName, text) {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found = [];
  const add = (lit, names = []) => {
    if (ts.isStringLiteralLike(lit)) found.push({ spec: lit.text, line: sf.getLineAndCharacterOfPosition(lit.getStart(sf)).line + 1, names });
  };
  /** The names an import or export declaration takes from its module (`import { A as B }`: A). */
  const namesOf = (node) => {
    const bindings = ts.isImportDeclaration(node) ? node.importClause?.namedBindings : node.exportClause;
    if (bindings === undefined || !(ts.isNamedImports(bindings) || ts.isNamedExports(bindings))) return [];
    return bindings.elements.map((e) => (e.propertyName ?? e.name).text);
  };
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined) add(node.moduleSpecifier, namesOf(node));
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && node.qualifier !== undefined && ts.isIdentifier(node.qualifier)) add(node.argument.literal, [node.qualifier.text]);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] !== undefined) add(node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    // `declare module "x" { ... }` (ModuleDeclaration with a string name) is an augmentation: its
    // name is not visited as an import, but its body is, since it may import for its own types.
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** The module a path under src/ belongs to: its first directory, or "<root>" for files directly in src/. */
function moduleOf(relToSrc) {
  const parts = relToSrc.split("/");
  return parts.length === 1 ? "<root>" : parts[0];
}

/** Violations for the tree at root/src, as { file, line, spec, rule } with file relative to root. */
export function checkLayers(root) {
  const srcDir = resolve(root, "src");
  const problems = [];
  for (const file of tsFiles(srcDir)) {
    const rel = relative(srcDir, file).split(sep).join("/");
    const from = moduleOf(rel);
    const where = posix.join("src", rel);
    if (!RANK.has(from)) {
      problems.push({ file: where, line: 1, spec: "", rule: `module "${from}" is not in the layer order (add it to LAYERS in scripts/check-layers.mjs and DESIGN.md)` });
      continue;
    }
    for (const { spec, line, names } of importsOf(file, readFileSync(file, "utf8"))) {
      if (!spec.startsWith("./") && !spec.startsWith("../")) continue; // packages and node: builtins
      const target = posix.normalize(posix.join(posix.dirname(rel), spec));
      if (target.startsWith("../")) continue; // outside src/ (e.g. ../shared): not a module of ours
      const to = moduleOf(target);
      if (to === from) continue;
      const report = (rule) => problems.push({ file: where, line, spec, rule });
      if (to === "kernel" && names.includes("Kernel") && !KERNEL_CLASS_ALLOWED.has(from)) {
        report(`${from} names the Kernel class; only ${[...KERNEL_CLASS_ALLOWED].join(", ")} may (a subsystem takes the SubsystemHost of abi/)`);
      }
      if (to !== "<root>" && target !== `${to}/index.js` && target !== `${to}/index.ts`) {
        report(`deep import into ${to}/ (import ${to}/index.ts, the module's only door)`);
      }
      const rf = RANK.get(from);
      const rt = RANK.get(to);
      if (rt === undefined) report(`module "${to}" is not in the layer order`);
      else if (rt > rf) report(`upward import: ${from} (rank ${rf}) must not import ${to} (rank ${rt})`);
      else if (rt === rf && !SAME_RANK_ALLOWED.has(`${from} -> ${to}`)) report(`same-rank import ${from} -> ${to} is not in SAME_RANK_ALLOWED`);
    }
  }
  return problems;
}

const invoked = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invoked) {
  const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), ".."));
  const problems = checkLayers(root);
  for (const p of problems) console.error(`${p.file}:${p.line}: import "${p.spec}": ${p.rule}`);
  if (problems.length > 0) {
    console.error(`check-layers: ${problems.length} violation(s). Order, bottom to top: ${LAYERS.map((g) => g.join(", ")).join(" < ")}`);
    process.exit(1);
  }
  console.log(`check-layers: ok (${LAYERS.map((g) => g.join(", ")).join(" < ")})`);
}
