/**
 * The A2A operations as the bindings call them (spec section 3), independent of JSON-RPC or REST:
 * parse the request (InvalidParams naming the field), route it to an agent, pass the door
 * (`A2aTask` as the principal), then — for SendMessage — wait until the task settles unless
 * `returnImmediately`, and for the streaming operations follow the task's event log.
 *
 * Endpoints: an agent's own (its tasks only) or the daemon's (every A2A agent is one of its skills;
 * a message names the skill in `metadata.skill`, or the only agent there is takes it).
 * Streams: first the Task at a cursor, then every event after it, each with its seq (the SSE id),
 * ending at a terminal state (SubscribeToTask) or a terminal or interrupted one (SendStreamingMessage).
 * A subscriber that reconnects with `Last-Event-ID: <seq>` gets the task as it was at that seq and
 * every later event exactly once: the log is read from the cursor, the hub only wakes the reader.
 */
import type { z } from "zod";
import type { DispatchCaller } from "../../kernel/index.js";
import { remoteParent } from "../../observe/index.js";
import type { A2aTaskArgs } from "./door.js";
import { a2aError, invalidParams } from "./errors.js";
import type { A2aEngine } from "./engine.js";
import { view } from "./fold.js";
import type { TaskStore } from "./store.js";
import {
  CancelTaskRequestSchema,
  GetTaskRequestSchema,
  ListConfigsRequestSchema,
  ListTasksRequestSchema,
  PushConfigSchema,
  SendMessageRequestSchema,
  SETTLED,
  SubscribeRequestSchema,
  TaskConfigRefSchema,
  TERMINAL,
  type ListTasksResponse,
  type Message,
  type StoredPushConfig,
  type StreamResponse,
  type Task,
  type TaskState,
} from "./wire.js";

export interface A2aSkill {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly examples?: readonly string[] | undefined;
}

/** An agent exposed over A2A (its spec says `a2a: true` or `a2a: { ... }`). */
export interface A2aAgentInfo {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly version: string;
  readonly skills: readonly A2aSkill[];
}

export interface Principal {
  readonly id: string;
  readonly capabilities: readonly string[];
}

export interface CallContext {
  readonly principal: Principal;
  /** The agent whose endpoint was called; undefined for the daemon's. */
  readonly agent: A2aAgentInfo | undefined;
  readonly signal: AbortSignal;
  /** W3C traceparent (validated by the binding) and tracestate of the request. */
  readonly traceparent?: string;
  readonly tracestate?: string;
  /** SSE Last-Event-ID: the seq a resuming subscriber saw last. */
  readonly lastEventId?: number;
}

export interface ServicePorts {
  invoke(caller: DispatchCaller, syscall: string, args: unknown): Promise<unknown>;
  agents(): readonly A2aAgentInfo[];
  /** Media types a message part may carry (the card's defaultInputModes). */
  readonly inputModes: readonly string[];
}

/**
 * Each streamed object carries its event seq in `metadata["aios.seq"]` as well as in the SSE id,
 * because SDK clients hand the caller the objects, not the SSE frames: that value is the cursor a
 * client passes back as `Last-Event-ID` to resume.
 */
export const SEQ = "aios.seq";

export interface StreamItem {
  readonly seq: number;
  readonly resp: StreamResponse;
}

export class A2aService {
  constructor(
    private readonly engine: A2aEngine,
    private readonly store: TaskStore,
    private readonly p: ServicePorts,
  ) {}

  async send(ctx: CallContext, raw: unknown): Promise<{ task: Task }> {
    const { taskId, seq, historyLength, immediate } = await this.open(ctx, raw);
    if (!immediate) for await (const _ of this.follow(taskId, seq, SETTLED, ctx.signal)) void _;
    const row = this.store.get(taskId);
    if (row === undefined) throw a2aError("TaskNotFoundError", `task ${taskId} not found`, { taskId });
    return { task: view(row.task, { historyLength }) };
  }

  /** SendStreamingMessage: the door is passed before the stream starts, so a refusal is an error response, not an event. */
  async stream(ctx: CallContext, raw: unknown): Promise<AsyncIterable<StreamItem>> {
    const { taskId, seq } = await this.open(ctx, raw);
    const task = this.store.snapshotAt(taskId, seq);
    if (task === undefined) throw a2aError("TaskNotFoundError", `task ${taskId} not found`, { taskId });
    return this.withSnapshot(taskId, seq, task, SETTLED, ctx.signal);
  }

  async subscribe(ctx: CallContext, raw: unknown): Promise<AsyncIterable<StreamItem>> {
    const r = parse(SubscribeRequestSchema, raw);
    const out = (await this.door(ctx, { op: "subscribe", agent: this.agentOf(ctx, r.id), id: r.id, ...(ctx.lastEventId === undefined ? {} : { cursor: ctx.lastEventId }) })) as { seq: number; task: Task };
    return this.withSnapshot(r.id, out.seq, out.task, TERMINAL, ctx.signal);
  }

  async get(ctx: CallContext, raw: unknown): Promise<Task> {
    const r = parse(GetTaskRequestSchema, raw);
    return (await this.door(ctx, { op: "get", agent: this.agentOf(ctx, r.id), id: r.id, ...(r.historyLength === undefined ? {} : { historyLength: r.historyLength }) })) as Task;
  }

  async cancel(ctx: CallContext, raw: unknown): Promise<Task> {
    const r = parse(CancelTaskRequestSchema, raw);
    return (await this.door(ctx, { op: "cancel", agent: this.agentOf(ctx, r.id), id: r.id })) as Task;
  }

  async list(ctx: CallContext, raw: unknown): Promise<ListTasksResponse> {
    const query = parse(ListTasksRequestSchema, raw ?? {});
    const scope = ctx.agent?.id;
    return (await this.door(ctx, { op: "list", agent: scope ?? "*", ...(scope === undefined ? {} : { scope }), query })) as ListTasksResponse;
  }

  async pushSet(ctx: CallContext, raw: unknown): Promise<StoredPushConfig> {
    const c = parse(PushConfigSchema, raw);
    if (c.taskId === undefined || c.taskId === "") throw invalidParams("", [{ path: ["taskId"], message: "required" }]);
    return (await this.door(ctx, { op: "push.set", agent: this.agentOf(ctx, c.taskId), id: c.taskId, config: c })) as StoredPushConfig;
  }

  async pushGet(ctx: CallContext, raw: unknown): Promise<StoredPushConfig> {
    const r = parse(TaskConfigRefSchema, raw);
    return (await this.door(ctx, { op: "push.get", agent: this.agentOf(ctx, r.taskId), id: r.taskId, configId: r.id })) as StoredPushConfig;
  }

  async pushList(ctx: CallContext, raw: unknown): Promise<{ configs: StoredPushConfig[]; nextPageToken: string }> {
    const r = parse(ListConfigsRequestSchema, raw);
    return (await this.door(ctx, { op: "push.list", agent: this.agentOf(ctx, r.taskId), id: r.taskId })) as { configs: StoredPushConfig[]; nextPageToken: string };
  }

  async pushDelete(ctx: CallContext, raw: unknown): Promise<void> {
    const r = parse(TaskConfigRefSchema, raw);
    await this.door(ctx, { op: "push.delete", agent: this.agentOf(ctx, r.taskId), id: r.taskId, configId: r.id });
  }

  private async open(ctx: CallContext, raw: unknown): Promise<{ taskId: string; seq: number; historyLength: number | undefined; immediate: boolean }> {
    const req = parse(SendMessageRequestSchema, raw);
    const m = req.message;
    if (m.role !== "ROLE_USER") throw invalidParams("message", [{ path: ["role"], message: "a client sends ROLE_USER messages" }]);
    this.checkMedia(m);
    const agent = m.taskId !== undefined && m.taskId !== "" ? this.agentOf(ctx, m.taskId) : this.route(ctx, req.metadata, m).id;
    const out = (await this.door(ctx, { op: "send", agent, request: req, ...(ctx.traceparent === undefined ? {} : { trace: ctx.traceparent }) })) as { taskId: string; seq: number };
    return { ...out, historyLength: req.configuration?.historyLength, immediate: req.configuration?.returnImmediately === true };
  }

  /** The door call, under the client's trace context when it sent one (its span becomes our call's parent). */
  private door(ctx: CallContext, args: A2aTaskArgs): Promise<unknown> {
    const caller = this.engine.callerOf(ctx.principal.id, ctx.principal.capabilities);
    const trace = remoteParent(ctx.traceparent, ctx.tracestate);
    return this.p.invoke(trace === undefined ? { ...caller, signal: ctx.signal } : { ...caller, signal: ctx.signal, trace }, "A2aTask", args);
  }

  /** The agent a task belongs to when the caller may see it; otherwise the endpoint's (the handler then says not found). */
  private agentOf(ctx: CallContext, taskId: string): string {
    const row = this.store.get(taskId);
    if (row !== undefined && row.owner === `a2a:${ctx.principal.id}` && (ctx.agent === undefined || ctx.agent.id === row.agent)) return row.agent;
    return ctx.agent?.id ?? "*";
  }

  private route(ctx: CallContext, meta: Record<string, unknown> | undefined, m: Message): A2aAgentInfo {
    if (ctx.agent !== undefined) return ctx.agent;
    const all = this.p.agents();
    const skill = meta?.["skill"] ?? m.metadata?.["skill"];
    if (typeof skill === "string") {
      const a = all.find((x) => x.name === skill || x.id === skill);
      if (a === undefined) throw invalidParams("", [{ path: ["metadata", "skill"], message: `no agent exposed over A2A is named "${skill}"` }]);
      return a;
    }
    const only = all.length === 1 ? all[0] : undefined;
    if (only === undefined) throw invalidParams("", [{ path: ["metadata", "skill"], message: `name the agent (one of the card's skills: ${all.map((a) => a.name).join(", ") || "none"})` }]);
    return only;
  }

  private checkMedia(m: Message): void {
    const modes = this.p.inputModes;
    for (const p of m.parts) {
      const type = p.mediaType ?? (p.text !== undefined ? "text/plain" : p.data !== undefined ? "application/json" : undefined);
      if (type === undefined) continue; // a file without a declared type: the agent sees the bytes or URL
      const base = type.split(";")[0]?.trim().toLowerCase() ?? "";
      const ok = modes.some((mode) => mode === "*/*" || mode === base || (mode.endsWith("/*") && base.startsWith(mode.slice(0, -1))));
      if (!ok) throw a2aError("ContentTypeNotSupportedError", `media type ${type} is not accepted (accepted: ${modes.join(", ")})`, { mediaType: type });
    }
  }

  private async *withSnapshot(taskId: string, seq: number, task: Task, until: ReadonlySet<TaskState>, signal: AbortSignal): AsyncIterable<StreamItem> {
    yield { seq, resp: { task: { ...view(task, {}), metadata: { ...task.metadata, [SEQ]: seq } } } };
    yield* this.follow(taskId, seq, until, signal);
  }

  /** Events after `from`, in order, until a status in `until` or the signal aborts. */
  private async *follow(taskId: string, from: number, until: ReadonlySet<TaskState>, signal: AbortSignal): AsyncIterable<StreamItem> {
    const f = this.engine.hub.follower(taskId, signal);
    try {
      let last = from;
      for (;;) {
        if (signal.aborted) return;
        const evs = this.store.eventsAfter(taskId, last);
        for (const { seq, ev } of evs) {
          last = seq;
          if (ev.kind === "status") {
            yield { seq, resp: { statusUpdate: { ...ev.body, metadata: { ...ev.body.metadata, [SEQ]: seq } } } };
            if (until.has(ev.body.status.state)) return;
          } else if (ev.kind === "artifact") yield { seq, resp: { artifactUpdate: { ...ev.body, metadata: { [SEQ]: seq } } } };
        }
        if (evs.length === 0) await f.next();
      }
    } finally {
      f.close();
    }
  }
}

function parse<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw ?? {});
  if (!r.success) throw invalidParams("", r.error.issues);
  return r.data;
}
