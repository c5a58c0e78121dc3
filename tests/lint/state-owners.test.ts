/**
 * State owned by one component (CONVENTIONS 14, issue #10 item 4), checked on the source the way the
 * layer rule is: the lifecycle (src/kernel/lifecycle.ts) is the only writer of a process's status,
 * exit reason and result, and the process table (src/kernel/process-table.ts) the only place a
 * process is built, entered or removed and the only writer of the parent/children links. Proc
 * declares status readonly and shows exit reason and result through getters, so the compiler refuses
 * `p.status = ...` anywhere; what this test rules out is the way around it (a cast that reopens
 * them, or its rare fields opened for writing) and a second owner. The rules run on planted fixtures
 * first, so a rule that matches nothing cannot pass silently.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const LIFECYCLE = "src/kernel/lifecycle.ts";
const TABLE = "src/kernel/process-table.ts";
const PROC = "src/kernel/proc.ts";
/** The table's index (its storage by id), which only the table builds. */
const INDEX = "src/kernel/proc-index.ts";

interface Rule {
  readonly name: string;
  /** Where the rule applies (a path prefix). */
  readonly under: string;
  /** The one file allowed to do it. */
  readonly owner: string;
  /** Another file allowed to (Proc's constructor sets its own parent). */
  readonly also?: string;
  readonly pattern: RegExp;
  /** Matches that are not the guarded state (e.g. an escalation's own status). */
  readonly except?: RegExp;
}

const RULES: readonly Rule[] = [
  // Any status assignment in the kernel: the kernel's only other status is an escalation's (`esc`).
  { name: "status written outside the lifecycle", under: "src/kernel/", owner: LIFECYCLE, pattern: /\b(\w+)\.status\s*=(?!=)/g, except: /^esc\.status/ },
  { name: "exit reason or result written outside the lifecycle", under: "src/kernel/", owner: LIFECYCLE, pattern: /\.(exitReason|result)\s*=(?!=)/g },
  // The way around readonly: a cast that reopens a lifecycle field.
  { name: "a cast that reopens lifecycle fields", under: "src/", owner: LIFECYCLE, pattern: /as\s+(LifecycleFields|\{[^}]*\b(status|exitReason|result)\s*:[^}]*\})/g },
  // Proc keeps how it ended with its rare fields (Rare), behind getters; more() opens them for writing.
  { name: "a process's rare fields opened outside the lifecycle", under: "src/", owner: LIFECYCLE, also: PROC, pattern: /\.more\(\)/g },
  { name: "a process built outside the process table", under: "src/", owner: TABLE, pattern: /new Proc\(/g },
  { name: "a process table outside the process table", under: "src/", owner: TABLE, also: INDEX, pattern: /new Map<AgentId,\s*Proc>/g },
  { name: "a process index outside the process table", under: "src/", owner: TABLE, pattern: /new ProcIndex\(/g },
  { name: "a parent or children link written outside the process table", under: "src/kernel/", owner: TABLE, also: PROC, pattern: /\.(parent|children)\s*=(?!=)|\.children\s*\?\?=|children\??\.(push|splice|pop|shift|unshift)\(/g },
];

function violations(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [path, text] of files) {
    for (const rule of RULES) {
      if (!path.startsWith(rule.under) || path === rule.owner || path === rule.also) continue;
      for (const m of text.matchAll(rule.pattern)) {
        if (rule.except?.test(m[0]) === true) continue;
        const line = text.slice(0, m.index).split("\n").length;
        out.push(`${path}:${line}: ${rule.name} (${m[0].trim()}); only ${rule.owner} may`);
      }
    }
  }
  return out;
}

function sources(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readdirSync(join(repo, dir), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
    const abs = join(entry.parentPath, entry.name);
    out.set(relative(repo, abs).split("\\").join("/"), readFileSync(abs, "utf8"));
  }
  return out;
}

describe("state owned by one component", () => {
  it("flags every planted violation, and nothing in the owners themselves", () => {
    const planted = new Map([
      ["src/kernel/exits.ts", "p.status = \"failed\";\nesc.status = \"open\";\n"],
      ["src/kernel/operations.ts", "(p as { status: AgentStatus }).status = to;\nq.exitReason = why;\n"],
      ["src/sdk/aios.ts", "const p = new Proc(id, spec, logic, null, 0);\nconst t = new Map<AgentId, Proc>();\np.more().result = 1;\nconst x = new ProcIndex(n);\n"],
      ["src/kernel/recovery.ts", "c.parent = null;\np.children = null;\n(sup.children ??= []).push(p);\np.children.splice(0, 1);\np.children?.pop();\n"],
      [LIFECYCLE, "(p as LifecycleFields).status = to;\nconst f = p.more();\n"],
      [TABLE, "const p = new Proc(id, s, logic, parent, 0);\nthis.procs = new Map<AgentId, Proc>();\nc.parent = null;\n"],
    ]);
    expect(violations(planted)).toEqual([
      "src/kernel/exits.ts:1: status written outside the lifecycle (p.status =); only src/kernel/lifecycle.ts may",
      "src/kernel/operations.ts:2: exit reason or result written outside the lifecycle (.exitReason =); only src/kernel/lifecycle.ts may",
      "src/kernel/operations.ts:1: a cast that reopens lifecycle fields (as { status: AgentStatus }); only src/kernel/lifecycle.ts may",
      "src/sdk/aios.ts:3: a process's rare fields opened outside the lifecycle (.more()); only src/kernel/lifecycle.ts may",
      "src/sdk/aios.ts:1: a process built outside the process table (new Proc(); only src/kernel/process-table.ts may",
      "src/sdk/aios.ts:2: a process table outside the process table (new Map<AgentId, Proc>); only src/kernel/process-table.ts may",
      "src/sdk/aios.ts:4: a process index outside the process table (new ProcIndex(); only src/kernel/process-table.ts may",
      "src/kernel/recovery.ts:1: a parent or children link written outside the process table (.parent =); only src/kernel/process-table.ts may",
      "src/kernel/recovery.ts:2: a parent or children link written outside the process table (.children =); only src/kernel/process-table.ts may",
      "src/kernel/recovery.ts:3: a parent or children link written outside the process table (.children ??=); only src/kernel/process-table.ts may",
      "src/kernel/recovery.ts:4: a parent or children link written outside the process table (children.splice(); only src/kernel/process-table.ts may",
      "src/kernel/recovery.ts:5: a parent or children link written outside the process table (children?.pop(); only src/kernel/process-table.ts may",
    ]);
  });

  it("the source tree: the lifecycle alone writes status, the process table alone builds and links processes", () => {
    const files = sources("src");
    expect(files.has(LIFECYCLE) && files.has(TABLE)).toBe(true);
    expect(violations(files)).toEqual([]);
    // The compiler's half: Proc declares the lifecycle's fields readonly (status), or shows them
    // through a getter with no setter (how it ended, kept with its rare fields).
    const proc = files.get("src/kernel/proc.ts") ?? "";
    expect(proc).toMatch(/^\s*readonly status\b/m);
    for (const field of ["exitReason", "result"]) {
      expect(proc).toMatch(new RegExp(`^\\s*get ${field}\\(\\)`, "m"));
      expect(proc).not.toMatch(new RegExp(`^\\s*set ${field}\\(`, "m"));
    }
  });
});
