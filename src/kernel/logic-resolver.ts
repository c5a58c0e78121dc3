/**
 * Which logic runs an agent: an object given in the spec, a name registered at boot (durable agents
 * use one, so they can be recovered), a module path with an export name (loaded once and cached), or,
 * for `kind: llm` and `kind: supervisor`, the factory a subsystem registered for that kind.
 *
 * A module is imported only by the real path module-roots.ts returns for it, and only after the check
 * for who asked (the operator or an agent) passed: nothing an agent names reaches import() unchecked.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { AiosError, toAiosError } from "../core/index.js";
import type { AgentLogic } from "../abi/index.js";
import type { AgentSpec } from "../abi/index.js";
import type { CodeOrigin, ModuleRoots } from "./module-roots.js";
import { isolationOf } from "./isolation.js";
import { IsolatedLogic } from "./isolated-logic.js";
import type { IsolatePool } from "./isolate-pool.js";
import { storedSpec } from "./stored-spec.js";

export type LogicFactory = (spec: AgentSpec) => AgentLogic;

export class LogicResolver {
  private readonly named = new Map<string, AgentLogic>();
  private readonly kinds = new Map<string, LogicFactory>();
  private readonly modules = new Map<string, AgentLogic>();

  constructor(
    private readonly roots: ModuleRoots,
    /** The threads isolated agents run in (created on the first isolated spawn). */
    private readonly isolates: () => IsolatePool,
  ) {}

  register(name: string, logic: AgentLogic): void {
    this.named.set(name, logic);
  }
  registerKind(kind: string, factory: LogicFactory): void {
    this.kinds.set(kind, factory);
  }

  /**
   * Throws what `resolve` would for a logic that cannot be had — a name not registered, a kind with
   * no runtime, a module outside the roots for `origin`, isolated code that is not JavaScript —
   * without loading or running anything (recovery checks this at boot, then resolves on first use).
   */
  check(spec: AgentSpec, origin: CodeOrigin): void {
    if (spec.kind !== "code") {
      if (!this.kinds.has(spec.kind)) throw new AiosError("E_CONFIG", `no runtime is installed for agents of kind "${spec.kind}"`, { details: { kind: spec.kind } });
      return;
    }
    if (typeof spec.logic === "object") return;
    if (typeof spec.logic === "string") {
      if (!this.named.has(spec.logic)) throw new AiosError("E_INVALID_SPEC", `logic "${spec.logic}" is not registered (known: ${[...this.named.keys()].join(", ") || "none"})`, { details: { path: "logic" } });
      return;
    }
    if (spec.module === undefined) throw new AiosError("E_INVALID_SPEC", "a code agent needs `logic` or `module`", { details: { path: "logic" } });
    const path = this.roots.check(spec.module, origin);
    if (isolationOf(spec, origin) === "isolated" && !/\.m?js$/.test(path)) {
      throw new AiosError("E_INVALID_SPEC", `module ${path}: isolated code is JavaScript (.js or .mjs); compile it first`, { details: { path: "module" } });
    }
  }

  /** Synchronous unless a module must be loaded. */
  resolve(spec: AgentSpec, origin: CodeOrigin): AgentLogic | Promise<AgentLogic> {
    if (spec.kind === "code") {
      if (typeof spec.logic === "object") return spec.logic;
      if (typeof spec.logic === "string") {
        const l = this.named.get(spec.logic);
        if (l === undefined) throw new AiosError("E_INVALID_SPEC", `logic "${spec.logic}" is not registered (known: ${[...this.named.keys()].join(", ") || "none"})`, { details: { path: "logic" } });
        return l;
      }
      if (spec.module === undefined) throw new AiosError("E_INVALID_SPEC", "a code agent needs `logic` or `module`", { details: { path: "logic" } });
      const path = this.roots.check(spec.module, origin);
      if (isolationOf(spec, origin) === "isolated") return this.isolated(path, spec);
      return this.load(path, spec.export ?? "default");
    }
    const factory = this.kinds.get(spec.kind);
    if (factory === undefined) throw new AiosError("E_CONFIG", `no runtime is installed for agents of kind "${spec.kind}"`, { details: { kind: spec.kind } });
    return factory(spec);
  }

  /** A fresh logic per agent: its own thread, the module's source loaded into it (docs/adr/0023). */
  private async isolated(path: string, spec: AgentSpec): Promise<AgentLogic> {
    if (!/\.m?js$/.test(path)) {
      throw new AiosError("E_INVALID_SPEC", `module ${path}: isolated code is JavaScript (.js or .mjs); compile it first`, { details: { path: "module" } });
    }
    let source: string;
    try {
      source = readFileSync(path, "utf8");
    } catch (e) {
      throw new AiosError("E_INVALID_SPEC", `cannot read agent module ${path}: ${toAiosError(e).message}`, { cause: e, details: { path: "module" } });
    }
    const logic = new IsolatedLogic(this.isolates(), { source, file: path, exportName: spec.export ?? "default", spec: JSON.stringify(storedSpec(spec)) });
    await logic.open();
    return logic;
  }

  private async load(path: string, name: string): Promise<AgentLogic> {
    // `path` is a real path inside a module root (module-roots.ts), never a URL.
    const key = `${path}#${name}`;
    const hit = this.modules.get(key);
    if (hit !== undefined) return hit;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
    } catch (e) {
      throw new AiosError("E_INVALID_SPEC", `cannot load agent module ${path}: ${toAiosError(e).message}`, { cause: e, details: { path: "module" } });
    }
    const logic = mod[name];
    if (typeof logic !== "object" || logic === null || typeof (logic as { receive?: unknown }).receive !== "function") {
      throw new AiosError("E_INVALID_SPEC", `module ${path} has no export "${name}" with a receive() function`, { details: { path: "export" } });
    }
    this.modules.set(key, logic as AgentLogic);
    return logic as AgentLogic;
  }
}
