/**
 * Request shapes of the lifecycle operations beyond spawn/pause/kill (clone, upgrade, merge, split,
 * specialize), of LLM runs, and of the capability, policy and audit read routes. Merge and split
 * take functions in the SDK (`combine`, `split`); over the wire they take a named strategy instead,
 * each a plain function of the JSON state (ops-strategies.ts).
 */
import { z } from "zod";

const SpecPatch = z.record(z.string(), z.unknown());
const Id = z.string().min(1).max(256);

export const CloneBody = z.strictObject({ overrides: SpecPatch.optional() });
export const UpgradeBody = z.strictObject({
  /** Spec fields to change (name, kind and tenant cannot); give `version` too. A new `logic` or `module` swaps the code. */
  spec: SpecPatch.refine((s) => Object.keys(s).length > 0, "give at least one spec field to change"),
});
export const MergeBody = z.strictObject({
  /** The other agent (id or name); both end, one new agent carries their combined state and mail. */
  with: Id,
  /** shallow: both states are objects, merged key by key (the second wins); pair: `{ a, b }`; first / second: keep one. */
  combine: z.enum(["shallow", "pair", "first", "second"]),
  spec: SpecPatch.optional(),
});
export const SplitBody = z
  .strictObject({
    /** copy: both get the whole state; keys: the first gets `keys` of an object state, the second the rest. */
    strategy: z.enum(["copy", "keys"]),
    keys: z.array(z.string().min(1)).min(1).max(1000).optional(),
    specs: z.tuple([SpecPatch.nullable(), SpecPatch.nullable()]).optional(),
  })
  .refine((b) => (b.strategy === "keys") === (b.keys !== undefined), { message: "keys: give keys exactly when strategy is keys", path: ["keys"] });
export const SpecializeBody = z.strictObject({
  /** The narrower spec fields (capabilities and tools must be subsets of the parent's). */
  narrow: SpecPatch,
});

export const RunBody = z
  .strictObject({
    /** An llm agent spec (kind is llm whatever it says) or a spec file on the daemon's machine. */
    spec: SpecPatch.optional(),
    specPath: z.string().min(1).optional(),
    goal: z.string().min(1).max(65_536),
    timeoutMs: z.number().int().min(1).max(3_600_000).optional(),
    /** true: answer a text/event-stream of `chunk` events, then `answer` (or `error`). Also chosen by `Accept: text/event-stream`. */
    stream: z.boolean().optional(),
  })
  .refine((b) => (b.spec === undefined) !== (b.specPath === undefined), { message: "give exactly one of spec or specPath", path: ["spec"] });

export const AuditEntriesQuery = z.strictObject({
  from: z.coerce.number().int().min(1).optional(),
  agent: Id.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});
export const AuditProofQuery = z.strictObject({ treeSize: z.coerce.number().int().min(1).optional() });
export const AuditHeadQuery = z.strictObject({ size: z.coerce.number().int().min(0).optional() });
export const AuditConsistencyQuery = z.strictObject({ from: z.coerce.number().int().min(0), to: z.coerce.number().int().min(0).optional() });
export const SeqParams = z.strictObject({ seq: z.coerce.number().int().min(1) });

export type MergeInput = z.output<typeof MergeBody>;
export type SplitInput = z.output<typeof SplitBody>;
export type RunInput = z.output<typeof RunBody>;
export type AuditEntriesInput = z.output<typeof AuditEntriesQuery>;
