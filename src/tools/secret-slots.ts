/**
 * Secret slots (issue #15.4). A tool declares which fields of its input may carry a secret reference
 * `{{secret:NAME}}` (http.fetch: `headers.*`; shell.execute: `env.*`). The reference is replaced by
 * the value only in the copy of the arguments handed to the tool's `execute`, at the moment it runs,
 * after the kernel journaled, audited and emitted the call with the reference as the agent wrote it;
 * the agent and the model never receive the value (results and errors are redacted on the way back
 * as a last net). Each use is checked at the slot: `secret:NAME#use`.
 *
 * A reference anywhere else in a tool's input (a body, a file's content, a command argument, an
 * object key) is refused at parse time with E_INVALID_ARG naming the field: a tool that did not
 * declare the field would send or store the literal text, never the value, and saying so is clearer
 * than a silent literal. Other syscalls (messages, memory, model calls) never substitute anything:
 * there a reference is plain text (refusing it would let any web page that contains one break the
 * agent that read it).
 */
import { AiosError } from "../core/index.js";
import { SECRET_REF } from "../security/index.js";
import type { CapabilityRequest } from "./kernel-seam.js";
import type { AnyTool } from "./tool.js";

/** Where tools get a secret's value (security/'s SecretStore); only registry.run asks it. */
export interface SecretSource {
  reveal(name: string): string | undefined;
}

const REF_START = "{{secret:";
const MAX_DEPTH = 64;

type Leaf = (path: readonly string[], value: string) => void;

/** Calls `leaf` for every string (values and keys) of `v`, with its path. */
function walkStrings(v: unknown, path: string[], leaf: Leaf, keyLeaf: Leaf): void {
  if (typeof v === "string") return leaf(path, v);
  if (v === null || typeof v !== "object" || path.length > MAX_DEPTH) return;
  if (Array.isArray(v)) {
    v.forEach((x, i) => walkStrings(x, [...path, String(i)], leaf, keyLeaf));
    return;
  }
  for (const [k, x] of Object.entries(v)) {
    keyLeaf([...path, k], k);
    walkStrings(x, [...path, k], leaf, keyLeaf);
  }
}

/** True when some string or key of `v` contains the start of a reference (allocates nothing). */
function mentions(v: unknown, depth: number): boolean {
  if (typeof v === "string") return v.includes(REF_START);
  if (v === null || typeof v !== "object" || depth > MAX_DEPTH) return false;
  if (Array.isArray(v)) {
    for (const x of v) if (mentions(x, depth + 1)) return true;
    return false;
  }
  for (const k in v) if (Object.hasOwn(v, k) && (k.includes(REF_START) || mentions((v as Record<string, unknown>)[k], depth + 1))) return true;
  return false;
}

function inSlot(tool: AnyTool, path: readonly string[]): boolean {
  return (tool.secretSlots ?? []).some((slot) => {
    const parts = slot.split(".");
    return parts.length === path.length && parts.every((p, i) => p === "*" || p === path[i]);
  });
}

function names(s: string): string[] {
  return [...s.matchAll(SECRET_REF)].map((m) => m[1] as string);
}

/**
 * Refuses a secret reference outside the tool's declared slots (parse time: the door audits the
 * refusal). Returns the names referenced in slots, for the up-front `secret:NAME#use` check.
 */
export function checkSecretRefs(tool: AnyTool, args: unknown): string[] {
  // Most calls name no secret: one scan that allocates nothing settles those.
  if (!mentions(args, 0)) return [];
  const used = new Set<string>();
  const refuse = (path: readonly string[], where: string): never => {
    const field = ["args", ...path].join(".");
    const slots = tool.secretSlots === undefined || tool.secretSlots.length === 0 ? "it has no secret slots" : `its secret slots are ${tool.secretSlots.join(", ")}`;
    throw new AiosError("E_INVALID_ARG", `${field}: a secret reference may only appear in a secret slot of ${tool.name} (${where}; ${slots}); nothing is substituted anywhere else`, {
      details: { path: field, tool: tool.name },
    });
  };
  walkStrings(
    args,
    [],
    (path, s) => {
      if (!s.includes(REF_START)) return;
      const refs = names(s);
      if (refs.length === 0) return; // not a well-formed reference: plain text, never substituted
      if (!inSlot(tool, path)) refuse(path, "a value outside the slots");
      for (const n of refs) used.add(n);
    },
    (path, k) => {
      if (k.includes(REF_START) && names(k).length > 0) refuse(path, "an object key");
    },
  );
  return [...used].sort();
}

const NO_REQUESTS: readonly CapabilityRequest[] = Object.freeze([]);

/** `secret:NAME#use` for every secret a call's slots name (the dispatcher checks them up front). */
export function secretRequests(tool: AnyTool, args: unknown): readonly CapabilityRequest[] {
  if (tool.secretSlots === undefined || tool.secretSlots.length === 0) return NO_REQUESTS;
  return checkSecretRefs(tool, args).map((name) => ({ resource: `secret:${name}`, action: "use" }));
}

/**
 * A copy of `args` with every reference in a slot replaced by `secrets.revealSecret(name)` (which checks the
 * capability and throws when it is missing or the secret does not exist). Only registry.run calls
 * this, right before the tool's execute; the copy goes nowhere else.
 */
export function fillSecretSlots(tool: AnyTool, args: unknown, secrets: { revealSecret(name: string): string }): unknown {
  if (tool.secretSlots === undefined || tool.secretSlots.length === 0 || !mentions(args, 0)) return args;
  return filled(tool, args, secrets);
}

/** fillSecretSlots' copy, apart: its closures would make every call allocate their context, filled or not. */
function filled(tool: AnyTool, args: unknown, secrets: { revealSecret(name: string): string }): unknown {
  const reveal = (name: string): string => secrets.revealSecret(name);
  const fill = (v: unknown, path: string[]): unknown => {
    if (typeof v === "string") return inSlot(tool, path) && v.includes(REF_START) ? v.replace(SECRET_REF, (_m, name: string) => reveal(name)) : v;
    if (v === null || typeof v !== "object" || path.length > MAX_DEPTH) return v;
    if (Array.isArray(v)) return v.map((x, i) => fill(x, [...path, String(i)]));
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, [...path, k])]));
  };
  return fill(args, []);
}
