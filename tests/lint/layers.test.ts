/**
 * The layer rule (scripts/check-layers.mjs) run as `npm run lint` runs it: as a program, on a fixture
 * tree with known violations (each must be reported with file:line and its rule, and nothing else)
 * and on the real tree (which must pass).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const script = join(repo, "scripts/check-layers.mjs");

function run(root: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [script, root], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dirs: string[] = [];
function fixture(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "aios-layers-"));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("check-layers", () => {
  it("reports a deep import and an upward import with file:line and the rule", () => {
    const root = fixture({
      "src/core/index.ts": 'export { now } from "./clock.js";\n',
      "src/core/clock.ts": "export const now = (): number => 0;\n",
      "src/kernel/index.ts": 'export * from "./kernel.js";\n',
      // line 2: deep import into core/ (kernel is above core, so only the door is wrong)
      "src/kernel/kernel.ts": '// import { now } from "../core/clock.js"; (a comment: not an import)\nimport { now } from "../core/clock.js";\nexport const k = now;\n',
      // line 3: core imports the kernel, which sits above it
      "src/core/boot.ts": 'const s = "import x from \'../kernel/index.js\'";\nexport { s };\nimport type { k } from "../kernel/index.js";\nexport type K = typeof k;\n',
      // an augmentation of another module's types is not an import
      "src/ipc/index.ts": 'export {};\ndeclare module "../abi/syscalls.js" {\n  interface SyscallMap { x: 1 }\n}\n',
      "src/abi/index.ts": "export {};\n",
    });
    const r = run(root);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split("\n").filter((l) => !l.startsWith("check-layers:"));
    expect(lines).toEqual([
      'src/core/boot.ts:3: import "../kernel/index.js": upward import: core (rank 0) must not import kernel (rank 5)',
      'src/kernel/kernel.ts:2: import "../core/clock.js": deep import into core/ (import core/index.ts, the module\'s only door)',
    ]);
  }, 120_000);

  it("reports dynamic and type-level imports, same-rank imports and unknown modules", () => {
    const root = fixture({
      "src/store/index.ts": 'export async function load(): Promise<unknown> {\n  return import("../sdk/index.js");\n}\nexport type T = import("../models/index.js").M;\n',
      "src/ipc/index.ts": 'export * from "../sched/index.js";\n',
      "src/sched/index.ts": "export {};\n",
      "src/sdk/index.ts": "export {};\n",
      "src/models/index.ts": "export type M = 1;\n",
      "src/widgets/index.ts": "export {};\n",
    });
    const r = run(root);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split("\n").filter((l) => !l.startsWith("check-layers:"));
    expect(lines).toEqual([
      'src/ipc/index.ts:1: import "../sched/index.js": same-rank import ipc -> sched is not in SAME_RANK_ALLOWED',
      'src/store/index.ts:2: import "../sdk/index.js": upward import: store (rank 3) must not import sdk (rank 11)',
      'src/store/index.ts:4: import "../models/index.js": upward import: store (rank 3) must not import models (rank 9)',
      'src/widgets/index.ts:1: import "": module "widgets" is not in the layer order (add it to LAYERS in scripts/check-layers.mjs and DESIGN.md)',
    ]);
  }, 120_000);

  it("reports a subsystem that names the Kernel class; the composition root may", () => {
    const root = fixture({
      "src/kernel/index.ts": "export class Kernel {}\nexport const createKernel = (): Kernel => new Kernel();\n",
      // line 2: a subsystem importing the class (type-only counts), line 3: a type-level import of it
      "src/audit/index.ts": 'import { createKernel } from "../kernel/index.js";\nimport type { Kernel as K } from "../kernel/index.js";\nexport type T = import("../kernel/index.js").Kernel;\nexport const make = (): K => createKernel();\n',
      "src/sdk/index.ts": 'import type { Kernel } from "../kernel/index.js";\nexport type Held = Kernel;\n',
    });
    const r = run(root);
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split("\n").filter((l) => !l.startsWith("check-layers:"));
    expect(lines).toEqual([
      'src/audit/index.ts:2: import "../kernel/index.js": audit names the Kernel class; only sdk may (a subsystem takes the SubsystemHost of abi/)',
      'src/audit/index.ts:3: import "../kernel/index.js": audit names the Kernel class; only sdk may (a subsystem takes the SubsystemHost of abi/)',
    ]);
  }, 120_000);

  it("passes on the real tree", () => {
    const r = run(repo);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^check-layers: ok/);
  }, 120_000);
});
