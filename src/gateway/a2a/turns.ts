/**
 * The mapping between an A2A turn and a kernel request to an agent. The agent receives
 * `{ text, a2a: { taskId, contextId, messageId, parts, metadata?, traceparent? } }`: `text` (the
 * message's text parts, or its data parts as JSON) is what an LLM agent reads; a code agent can
 * read the rest. Its reply becomes the task's outcome:
 * - `{ a2a: { state: "input-required" | "auth-required" | "rejected" | "failed" | "completed", text?, data? } }`
 *   sets that state, with `text` as the agent's status message;
 * - a string, or an LLM answer `{ text, output }`, completes the task with a text artifact (plus a
 *   data part when the structured output is not the text);
 * - any other JSON value completes it with one data part; null or undefined with no artifact.
 */
import type { Message, Part, TaskState } from "./wire.js";

export interface Outcome {
  readonly state: TaskState;
  readonly parts: readonly Part[];
  /** The agent's status message (interrupted and failed states). */
  readonly text?: string;
}

const STATES: Record<string, TaskState> = {
  "input-required": "TASK_STATE_INPUT_REQUIRED",
  "auth-required": "TASK_STATE_AUTH_REQUIRED",
  rejected: "TASK_STATE_REJECTED",
  failed: "TASK_STATE_FAILED",
  completed: "TASK_STATE_COMPLETED",
};

export function agentPayload(m: Message, task: { id: string; contextId: string }, traceparent: string | undefined): unknown {
  const texts = m.parts.flatMap((p) => (p.text === undefined ? [] : [p.text]));
  const data = m.parts.flatMap((p) => (p.data === undefined ? [] : [p.data]));
  const text = texts.length > 0 ? texts.join("\n") : data.length > 0 ? JSON.stringify(data.length === 1 ? data[0] : data) : "";
  return {
    text,
    a2a: {
      taskId: task.id,
      contextId: task.contextId,
      messageId: m.messageId,
      parts: m.parts,
      ...(m.metadata === undefined ? {} : { metadata: m.metadata }),
      ...(traceparent === undefined ? {} : { traceparent }),
    },
  };
}

export function outcomeOf(reply: unknown): Outcome {
  if (reply === undefined || reply === null) return { state: "TASK_STATE_COMPLETED", parts: [] };
  if (typeof reply === "string") return { state: "TASK_STATE_COMPLETED", parts: [{ text: reply }] };
  if (typeof reply === "object" && !Array.isArray(reply)) {
    const r = reply as Record<string, unknown>;
    const a = r["a2a"];
    if (a !== null && typeof a === "object" && typeof (a as { state?: unknown }).state === "string") {
      const o = a as { state: string; text?: unknown; data?: unknown };
      const state = STATES[o.state];
      if (state !== undefined) {
        const text = typeof o.text === "string" ? o.text : undefined;
        const parts: Part[] = [];
        if (state === "TASK_STATE_COMPLETED" && text !== undefined) parts.push({ text });
        if (o.data !== undefined) parts.push({ data: o.data });
        return { state, parts, ...(text === undefined || state === "TASK_STATE_COMPLETED" ? {} : { text }) };
      }
    }
    if (typeof r["text"] === "string") {
      const parts: Part[] = [{ text: r["text"] }];
      const out = r["output"];
      if (out !== undefined && out !== null && typeof out === "object") parts.push({ data: out });
      return { state: "TASK_STATE_COMPLETED", parts };
    }
  }
  return { state: "TASK_STATE_COMPLETED", parts: [{ data: reply }] };
}
