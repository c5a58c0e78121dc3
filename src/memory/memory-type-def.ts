/**
 * What a memory type is: a zod schema for its content, a one-line doc and the text it contributes to
 * search. Its own file because the registry (type-registry.ts) registers the standard types
 * (standard-types.ts) at construction, and those are written as MemoryTypeDefs.
 */
import type { z } from "zod";

export interface MemoryTypeDef<C = unknown> {
  readonly name: string;
  readonly doc: string;
  readonly schema: z.ZodType<C>;
  /** The searchable text of a content value (defaults to all its strings, joined). */
  readonly text?: (content: C) => string;
}
