/**
 * The 24 standard memory types. Each is a small, strict-enough schema: required fields are the ones
 * without which the memory means nothing; extra fields are allowed on the open types (entity
 * attributes, tool args) and rejected nowhere else silently — zod strips unknown keys, so stored
 * content is exactly what the schema describes.
 */
import { z } from "zod";
import type { MemoryTypeDef } from "./memory-type-def.js";

const text = z.string().min(1).max(65_536);
const json = z.json();
const ts = z.number().int().nonnegative();
const unit = z.number().min(0).max(1);

function def<S extends z.ZodType>(name: string, doc: string, schema: S, textOf?: (c: z.infer<S>) => string): MemoryTypeDef {
  return { name, doc, schema, ...(textOf === undefined ? {} : { text: textOf as (c: unknown) => string }) };
}

export const STANDARD_TYPES: readonly MemoryTypeDef[] = [
  def("working", "Scratch state an agent keeps while working on a task: a key and any JSON value; lives in RAM, written behind to the store.",
    z.object({ key: z.string().min(1).max(256), value: json })),
  def("episodic", "Something that happened: an event, when, who took part, where and how it ended.",
    z.object({ event: text, at: ts.optional(), participants: z.array(z.string()).optional(), location: z.string().optional(), outcome: z.string().optional() })),
  def("semantic_fact", "A fact about the world as subject-predicate-object, with confidence and source.",
    z.object({ subject: text, predicate: text, object: text, confidence: unit.optional(), source: z.string().optional() }),
    (c) => `${c.subject} ${c.predicate} ${c.object}`),
  def("procedural_skill", "How to do something: a named skill with ordered steps and preconditions.",
    z.object({ name: text, description: z.string().optional(), steps: z.array(text).min(1), preconditions: z.array(z.string()).optional() })),
  def("preference", "What someone prefers: a key, a value and how strongly (0..1).",
    z.object({ subject: z.string().optional(), key: text, value: json, strength: unit.optional() })),
  def("goal", "Something to achieve, with its status, priority and deadline.",
    z.object({ description: text, status: z.enum(["pending", "active", "achieved", "abandoned"]), priority: z.number().int().optional(), deadline: ts.optional() })),
  def("plan", "Ordered steps toward a goal, each with its own status.",
    z.object({ goal: z.string().optional(), steps: z.array(z.object({ description: text, status: z.enum(["todo", "doing", "done", "skipped"]).optional() })).min(1) })),
  def("observation", "Something perceived, verbatim, with its source and time.",
    z.object({ text, source: z.string().optional(), at: ts.optional() })),
  def("reflection", "A conclusion drawn from other memories (ids in `about`).",
    z.object({ text, about: z.array(z.string()).optional(), importance: unit.optional() })),
  def("entity", "A named thing (person, organisation, place, object) with a kind and free attributes.",
    z.object({ name: text, kind: text, attributes: z.record(z.string(), json).optional() })),
  def("relation", "A typed relation between two named entities, with a weight.",
    z.object({ from: text, to: text, relation: text, weight: z.number().optional() }),
    (c) => `${c.from} ${c.relation} ${c.to}`),
  def("document_chunk", "A chunk of a document: which document, its position, its text.",
    z.object({ document: text, index: z.number().int().nonnegative(), text, title: z.string().optional() }),
    (c) => `${c.title ?? ""} ${c.text}`),
  def("conversation_turn", "One turn of a conversation: which conversation, who spoke, what was said.",
    z.object({ conversation: text, role: z.enum(["user", "assistant", "system", "tool", "agent"]), text, turn: z.number().int().nonnegative().optional() }),
    (c) => c.text),
  def("tool_result", "The outcome of a tool call: the tool, its arguments, its result and whether it succeeded.",
    z.object({ tool: text, args: json.optional(), result: json, ok: z.boolean(), durationMs: z.number().nonnegative().optional() })),
  def("feedback", "A judgement about something (a record, an answer, an agent): rating and/or text.",
    z.object({ target: z.string().optional(), rating: z.number().min(-1).max(1).optional(), text: z.string().optional(), from: z.string().optional() })
      .refine((c) => c.rating !== undefined || (c.text !== undefined && c.text.length > 0), { message: "feedback needs a rating or a text" })),
  def("summary", "A condensed account of other memories (ids in `of`).",
    z.object({ text, of: z.array(z.string()).optional() })),
  def("belief", "A statement held true with a confidence (0..1) and the evidence for it.",
    z.object({ statement: text, confidence: unit, evidence: z.array(z.string()).optional() })),
  def("question", "An open or answered question.",
    z.object({ text, answered: z.boolean().default(false), answer: z.string().optional() })),
  def("decision", "A choice made, why, and what else was considered.",
    z.object({ decision: text, rationale: z.string().optional(), alternatives: z.array(z.string()).optional() })),
  def("error_trace", "A failure met while working: message, code and context, to avoid repeating it.",
    z.object({ message: text, code: z.string().optional(), stack: z.string().optional(), context: json.optional() })),
  def("task", "A unit of work with a status, an assignee and a due time.",
    z.object({ title: text, status: z.enum(["open", "in_progress", "blocked", "done", "cancelled"]), assignee: z.string().optional(), due: ts.optional() })),
  def("persona", "Who an agent or person is: name, role and traits.",
    z.object({ name: text, role: z.string().optional(), traits: z.array(z.string()).optional() })),
  def("artifact", "A produced object: name, media type and either inline text or a URI.",
    z.object({ name: text, mediaType: text, text: z.string().optional(), uri: z.string().optional() })
      .refine((c) => c.text !== undefined || c.uri !== undefined, { message: "artifact needs text or uri" })),
  def("note", "Free text with an optional title.",
    z.object({ text, title: z.string().optional() })),
];
