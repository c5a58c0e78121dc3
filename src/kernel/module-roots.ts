/**
 * Which code a spec may name with `module` (docs/adr/0022). Only the operator names code: a module is
 * loaded only from a directory the operator configured as a module root, found by its real path, so a
 * `data:`/`http:`/`node:` URL, a `..` segment or a symlink leading out of a root is refused before
 * anything is imported.
 *
 * Two origins, decided by the kernel from the process tree (spawn-rule.ts' creatorOf), never by the spec:
 * - `operator` (os.spawn, the CLI, the HTTP API, a supervisor the operator started): inside the
 *   configured roots; with none configured, inside the working directory at boot.
 * - `agent` (AgentSpawn, ctx.spawn, the spawn tool, a supervisor an agent started, clone/split/merge/
 *   specialize/upgrade under an agent, recovery of what an agent created): inside the configured roots
 *   only — with none configured, an agent names no module at all (registered logics and LLM specs only).
 * Every refusal is E_CAP_DENIED with `details.path: "module"`, so the door audits it as a refusal.
 */
import { realpathSync } from "node:fs";
import { isAbsolute, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { AiosError } from "../core/index.js";
import type { AgentSpec } from "../abi/index.js";

export type CodeOrigin = "operator" | "agent";

/** A URL scheme at the start (two letters or more, so no drive letter is taken for one). */
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]+):/;

export class ModuleRoots {
  /** Real paths of the configured roots (agents' and the operator's). */
  private readonly configured: readonly string[];
  /** The operator's: the configured roots, or the working directory when none are configured. */
  private readonly operator: readonly string[];

  constructor(roots: readonly string[] | undefined, cwd: string = process.cwd()) {
    this.configured = (roots ?? []).map((r) => realRoot(r));
    this.operator = roots === undefined ? [realRoot(cwd)] : this.configured;
  }

  /** The roots `origin` may load from (for messages and the ADR's tests). */
  rootsFor(origin: CodeOrigin): readonly string[] {
    return origin === "agent" ? this.configured : this.operator;
  }

  /** The real path of `module`, or E_CAP_DENIED naming `module` and why. */
  check(module: string, origin: CodeOrigin): string {
    const deny = (why: string): AiosError =>
      new AiosError("E_CAP_DENIED", `module ${JSON.stringify(module.length > 120 ? `${module.slice(0, 120)}...` : module)}: ${why}`, {
        details: { path: "module", origin, reason: why },
      });
    let path = module;
    const scheme = SCHEME.exec(module)?.[1]?.toLowerCase();
    if (scheme !== undefined) {
      if (scheme !== "file") throw deny(`a ${scheme}: URL is not code the operator deployed; name a file inside a module root`);
      try {
        path = fileURLToPath(module);
      } catch {
        throw deny("not a valid file: URL");
      }
    }
    if (!isAbsolute(path)) throw deny("a module path must be absolute (a spec file resolves its relative paths against its own directory)");
    if (path.split(/[\\/]/).includes("..")) throw deny("a module path may not contain '..'");
    const roots = this.rootsFor(origin);
    if (roots.length === 0) {
      throw deny(`${origin === "agent" ? "an agent" : "the operator"} may name no module: no module roots are configured (boot option moduleRoots, config file moduleRoots); spawn a registered logic instead`);
    }
    let real: string;
    try {
      real = realpathSync.native(path);
    } catch {
      // Said only after the path was found to be an absolute path without '..': nothing about files elsewhere leaks.
      if (!roots.some((r) => inside(resolve(path), r))) throw deny(`outside the module roots (${roots.join(", ")})`);
      throw new AiosError("E_INVALID_SPEC", `module ${module}: no such file`, { details: { path: "module" } });
    }
    if (!roots.some((r) => inside(real, r))) {
      throw deny(real === resolve(path) ? `outside the module roots (${roots.join(", ")})` : `resolves through a symlink to ${real}, outside the module roots (${roots.join(", ")})`);
    }
    return real;
  }

  /** Checks every `module` in a spec tree (a supervisor's children too) before anything is created. */
  checkTree(spec: AgentSpec, origin: CodeOrigin): void {
    if (spec.module !== undefined) this.check(spec.module, origin);
    for (const c of spec.children ?? []) this.checkTree(c, origin);
  }
}

function realRoot(r: string): string {
  try {
    return realpathSync.native(resolve(r));
  } catch (e) {
    throw new AiosError("E_CONFIG", `moduleRoots: ${r} is not a directory that exists`, { cause: e, details: { path: "moduleRoots" } });
  }
}

function inside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** True when a spec tree names a module anywhere (the common spec names none: nothing to check). */
export function namesModule(spec: AgentSpec): boolean {
  if (spec.module !== undefined) return true;
  const kids = spec.children;
  if (kids === undefined) return false;
  for (const c of kids) if (namesModule(c)) return true;
  return false;
}
