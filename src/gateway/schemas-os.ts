/**
 * The request shapes of the memory, tools and secrets routes. The memory bodies are the memory
 * module's own argument schemas (the ones its syscalls parse with) less the fields the door sets
 * (agent, tenant), plus `as`: act as that agent (id or name) with its capabilities and its private
 * scope instead of as the operator. Validated here so an error names `body.<field>`, then parsed
 * again by the syscall — the HTTP layer adds no authority of its own.
 */
import { z } from "zod";
import { QueryInputSchema, StoreInputSchema, TraverseInputSchema, UpdateInputSchema } from "../memory/index.js";
import { SecretName, SecretValue } from "../security/index.js";
import { csv, Id } from "./schemas.js";

/** Act as this agent (id or name) instead of as the operator. */
const As = Id.optional();
const Namespace = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, "a namespace: 1-128 of A-Z a-z 0-9 _ . : -");
const Scope = z.string().min(1).max(200);

export const MemPutBody = StoreInputSchema.omit({ agent: true, tenant: true }).extend({ as: As });
export const MemUpdateBody = UpdateInputSchema.omit({ agent: true, tenant: true }).extend({ as: As });
export const MemQueryBody = QueryInputSchema.omit({ agent: true, tenant: true }).extend({ as: As });
export const AsQuery = z.strictObject({ as: As });
export const MemLinkBody = z.strictObject({ from: Id, to: Id, type: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "an edge type: 1-64 of A-Z a-z 0-9 _ . : -"), as: As });
const Traverse = TraverseInputSchema.shape;
export const MemNeighboursQuery = z.strictObject({
  /** Comma-separated edge types (default: all). */
  types: csv.pipe(z.array(z.string().min(1)).max(64)).optional(),
  direction: Traverse.direction.unwrap().optional(),
  depth: z.coerce.number().int().min(1).max(16).optional(),
  limit: z.coerce.number().int().min(1).max(1_000_000).optional(),
  as: As,
});
export const MemSnapshotBody = z.strictObject({ scope: Scope.optional(), label: z.string().min(1).max(200).optional(), as: As });
export const MemSnapshotsQuery = z.strictObject({ scope: Scope.optional(), as: As });
export const MemGrantBody = z.strictObject({
  namespace: Namespace,
  /** The agent (id or name) given access; "operator" for the API's own caller. */
  agent: Id,
  /** "none" revokes the grant. */
  access: z.enum(["read", "write", "none"]),
});
export const MemGrantsQuery = z.strictObject({ namespace: Namespace.optional() });

export const ToolCallBody = z.strictObject({
  args: z.record(z.string(), z.unknown()).optional(),
  as: As,
  /** Makes a side-effecting call safe to retry: the tool runs its effect at most once per key. */
  idempotencyKey: z.string().min(1).max(256).optional(),
});

export const SecretPutBody = z.strictObject({ value: SecretValue });
export const SecretNameParam = SecretName;

export type MemPutInput = z.output<typeof MemPutBody>;
export type MemUpdateInput = z.output<typeof MemUpdateBody>;
export type MemQueryInput = z.output<typeof MemQueryBody>;
export type MemLinkInput = z.output<typeof MemLinkBody>;
export type MemNeighboursInput = z.output<typeof MemNeighboursQuery>;
export type MemSnapshotInput = z.output<typeof MemSnapshotBody>;
export type MemGrantInput = z.output<typeof MemGrantBody>;
export type ToolCallInput = z.output<typeof ToolCallBody>;
