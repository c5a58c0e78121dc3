/**
 * Memory as tools for LLM agents. An LLM agent acts only through the tool calls its model makes, and
 * memory is not a tool of the registry (tools/ and memory/ share a rank and never import each
 * other): so the agent program offers `memory.store`, `memory.search` and `memory.get` to the model
 * itself and runs each as the memory syscall of the same meaning (MemoryStore, MemoryQuery,
 * MemoryGet) through the door, as the agent. A model's memory write is then exactly a code agent's:
 * checked against the same scope capabilities, tagged with the agent's taint, journaled and
 * audited. A spec lists them under `tools:` like any other tool; naming one on a kernel without the
 * memory subsystem fails the spawn with E_INVALID_SPEC.
 */
import type { AgentContext } from "../abi/index.js";
import type { ToolSchema } from "./types.js";

interface MemoryTool {
  readonly schema: ToolSchema;
  readonly syscall: "MemoryStore" | "MemoryQuery" | "MemoryGet";
}

const SCOPE = {
  type: "string",
  description: '"agent" (private, the default), "shared/<namespace>" or "global"; shared and global need memory:<scope>#write / #read capabilities.',
};

const TOOLS: readonly MemoryTool[] = [
  {
    syscall: "MemoryStore",
    schema: Object.freeze({
      name: "memory.store",
      description:
        "Store a typed record in memory; returns its id and version. Types include observation {text, source?}, " +
        "document_chunk {document, index, text, title?}, semantic_fact {subject, predicate, object, source?}, summary {text, of?}, reflection {text, about?}.",
      parameters: Object.freeze({
        type: "object",
        properties: {
          type: { type: "string", description: "a registered memory type, e.g. observation" },
          content: { type: "object", description: "the record's content, in the shape its type requires" },
          tags: { type: "array", items: { type: "string" } },
          scope: SCOPE,
        },
        required: ["type", "content"],
      }),
    }),
  },
  {
    syscall: "MemoryQuery",
    schema: Object.freeze({
      name: "memory.search",
      description: "Search memory (hybrid: BM25 keywords and embedding similarity, fused). Returns hits with id, score, type, tags and content.",
      parameters: Object.freeze({
        type: "object",
        properties: {
          text: { type: "string", description: "what to look for" },
          k: { type: "integer", minimum: 1, maximum: 100, description: "how many hits (default 10)" },
          mode: { type: "string", enum: ["hybrid", "lexical", "vector"] },
          filter: {
            type: "object",
            properties: { types: { type: "array", items: { type: "string" } }, tags: { type: "array", items: { type: "string" } }, scope: SCOPE },
          },
        },
        required: ["text"],
      }),
    }),
  },
  {
    syscall: "MemoryGet",
    schema: Object.freeze({
      name: "memory.get",
      description: "Read one memory record by id.",
      parameters: Object.freeze({ type: "object", properties: { id: { type: "string" } }, required: ["id"] }),
    }),
  },
];

const BY_NAME: ReadonlyMap<string, MemoryTool> = new Map(TOOLS.map((t) => [t.schema.name, t]));

/** The schema the model sees for a memory tool, or undefined for any other name. */
export function memoryToolSchema(name: string): ToolSchema | undefined {
  return BY_NAME.get(name)?.schema;
}

/** The syscall a memory tool runs as (to check at spawn that the kernel has it). */
export function memoryToolSyscall(name: string): string | undefined {
  return BY_NAME.get(name)?.syscall;
}

/**
 * Runs a memory tool's call as its syscall, as the agent; undefined when `name` is not a memory
 * tool. The arguments are the model's, validated by the syscall's own schema at the door.
 */
export function runMemoryTool(ctx: AgentContext, name: string, args: Record<string, unknown>): Promise<unknown> | undefined {
  const t = BY_NAME.get(name);
  if (t === undefined) return undefined;
  // The door parses the arguments with the syscall's schema (an unknown field or a bad type is
  // E_INVALID_ARG naming it); the typed facade is only the way in.
  switch (t.syscall) {
    case "MemoryStore":
      return ctx.sys.MemoryStore(args as Parameters<AgentContext["sys"]["MemoryStore"]>[0]);
    case "MemoryQuery":
      return ctx.sys.MemoryQuery(args);
    case "MemoryGet":
      return ctx.sys.MemoryGet(args as Parameters<AgentContext["sys"]["MemoryGet"]>[0]);
  }
}
