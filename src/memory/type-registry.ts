/**
 * The registry of memory types. A type is a zod schema for its content, a one-line doc, and the
 * text it contributes to lexical search and to embedding. `store` validates content against its
 * type here; a type name is registered once (re-registering is a conflict, so a plugin cannot
 * silently change what existing records mean).
 */
import { AiosError } from "../core/index.js";
import type { MemoryTypeDef } from "./memory-type-def.js";
import { STANDARD_TYPES } from "./standard-types.js";

export type { MemoryTypeDef } from "./memory-type-def.js";

const NAME = /^[a-z][a-z0-9_.-]{0,63}$/;

export class TypeRegistry {
  private readonly types = new Map<string, MemoryTypeDef>();

  constructor(withStandard = true) {
    if (withStandard) for (const t of STANDARD_TYPES) this.register(t);
  }

  register<C>(def: MemoryTypeDef<C>): void {
    if (!NAME.test(def.name)) throw new AiosError("E_INVALID_ARG", `type.name: "${def.name}" must match ${NAME.source}`, { details: { path: "type.name" } });
    if (this.types.has(def.name)) throw new AiosError("E_CONFLICT", `memory type "${def.name}" is already registered`, { retryable: false, details: { path: "type.name" } });
    this.types.set(def.name, def as MemoryTypeDef);
  }

  has(name: string): boolean {
    return this.types.has(name);
  }

  get(name: string): MemoryTypeDef {
    const t = this.types.get(name);
    if (t === undefined) {
      throw new AiosError("E_INVALID_ARG", `type: unknown memory type "${name}"`, { details: { path: "type", known: [...this.types.keys()] } });
    }
    return t;
  }

  list(): readonly { name: string; doc: string }[] {
    return [...this.types.values()].map((t) => ({ name: t.name, doc: t.doc }));
  }

  /** Parses content against its type; the error names the failing field under `content`. */
  validate(type: string, content: unknown): unknown {
    const def = this.get(type);
    const r = def.schema.safeParse(content);
    if (!r.success) {
      const issue = r.error.issues[0];
      const path = ["content", ...(issue?.path ?? []).map(String)].join(".");
      throw new AiosError("E_INVALID_ARG", `${path}: ${issue?.message ?? "invalid"} (type ${type})`, {
        details: { path, type, issues: r.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) },
      });
    }
    return r.data;
  }

  text(type: string, content: unknown): string {
    const def = this.get(type);
    return def.text !== undefined ? def.text(content) : allStrings(content);
  }
}

/** Every string in a JSON value, depth first, space-joined: the default searchable text. */
export function allStrings(v: unknown): string {
  // A plain top-level walker, not a closure per call: this runs for every record stored.
  const out: string[] = [];
  collectStrings(v, out);
  return out.join(" ");
}

function collectStrings(x: unknown, out: string[]): void {
  if (typeof x === "string") out.push(x);
  else if (Array.isArray(x)) for (const y of x) collectStrings(y, out);
  else if (typeof x === "object" && x !== null) for (const y of Object.values(x)) collectStrings(y, out);
}
