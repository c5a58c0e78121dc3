/**
 * The A2A task engine: what the `A2aTask` syscall does once the door admitted it, and the agent
 * turns it starts. It alone writes the task store; every event it appends wakes the task's readers
 * (hub.ts) and is handed to push delivery (push.ts).
 *
 * A turn: the task goes WORKING, the user message is sent to the agent as an AgentRequest through
 * the door (same caller), and the reply becomes an artifact and the final status (turns.ts). A turn
 * the agent still owes is marked in the store (`turn`); at start the engine hands every such turn
 * back to its agent (at-least-once: a turn cut by kill -9 runs again, announced by a WORKING status
 * saying so). A canceled task ignores the late answer of its turn.
 */
import { AiosError, toAiosError, type Clock } from "../../core/index.js";
import type { Caller } from "../../abi/index.js";
import type { DispatchCaller } from "../../kernel/index.js";
import { remoteParent } from "../../observe/index.js";
import type { CallerCache } from "./callers.js";
import type { A2aTaskArgs } from "./door.js";
import { a2aError } from "./errors.js";
import type { TaskEvent } from "./fold.js";
import { view } from "./fold.js";
import { TaskHub } from "./hub.js";
import type { PushDelivery } from "./push.js";
import type { TaskRow, TaskStore } from "./store.js";
import { agentPayload, outcomeOf } from "./turns.js";
import { TERMINAL, type ListTasksResponse, type Message, type StoredPushConfig, type Task, type TaskState } from "./wire.js";

export interface EnginePorts {
  invoke(caller: DispatchCaller, syscall: string, args: unknown): Promise<unknown>;
  readonly clock: Clock;
  newId(): string;
  /** Whether an agent id names a live agent exposed over A2A. */
  isAgent(id: string): boolean;
  readonly agentTimeoutMs: number;
}

const PAGE = 50;

export class A2aEngine {
  readonly hub = new TaskHub();
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly store: TaskStore,
    private readonly ports: EnginePorts,
    private readonly push: PushDelivery,
    private readonly callers: CallerCache,
  ) {}

  /** The caller an authenticated principal acts as at the door. */
  callerOf(principal: string, capabilities: readonly string[]): DispatchCaller {
    return this.callers.of(principal, capabilities);
  }

  /** A task the caller may see, or TaskNotFound (another owner's task is indistinguishable from none). */
  visible(id: string, owner: string): TaskRow {
    const row = this.store.get(id);
    if (row === undefined || row.owner !== owner) throw a2aError("TaskNotFoundError", `task ${id} not found`, { taskId: id });
    return row;
  }

  /** The A2aTask syscall's handler. */
  async handle(a: A2aTaskArgs, caller: Caller): Promise<unknown> {
    const owner = caller.agent as string;
    switch (a.op) {
      case "send":
        return this.send(a, caller);
      case "get":
        return view(this.visible(a.id, owner).task, { historyLength: a.historyLength });
      case "subscribe": {
        const row = this.visible(a.id, owner);
        const cursor = a.cursor ?? row.seq;
        if (cursor > row.seq) throw new AiosError("E_INVALID_ARG", `Last-Event-ID ${cursor} is past the task's last event ${row.seq}`, { details: { path: "Last-Event-ID" } });
        if (TERMINAL.has(row.state) && cursor === row.seq) throw a2aError("UnsupportedOperationError", `task ${a.id} is ${row.state}; there is nothing to subscribe to`, { taskId: a.id });
        const task = cursor === row.seq ? row.task : this.store.snapshotAt(a.id, cursor);
        if (task === undefined) throw new AiosError("E_INTERNAL", `task ${a.id} has no snapshot at ${cursor}`);
        return { seq: cursor, task };
      }
      case "cancel": {
        const row = this.visible(a.id, owner);
        if (TERMINAL.has(row.state)) throw a2aError("TaskNotCancelableError", `task ${a.id} is ${row.state} and cannot be canceled`, { taskId: a.id });
        const done = this.append(a.id, statusEvent(row.task, "TASK_STATE_CANCELED", this.now(), agentMessage(this.ports.newId(), row.task, `canceled by ${caller.name}`)), null);
        return view(done?.task ?? this.visible(a.id, owner).task, {});
      }
      case "list":
        return this.list(owner, a.scope, a.query);
      case "push.set": {
        const row = this.visible(a.id, owner);
        return this.setPush(row, a.config, owner, caller.capabilities);
      }
      case "push.get": {
        this.visible(a.id, owner);
        const p = this.store.getPush(a.id, a.configId);
        if (p === undefined || p.owner !== owner) throw a2aError("TaskNotFoundError", `push notification config ${a.configId} of task ${a.id} not found`, { taskId: a.id, configId: a.configId });
        return p.config;
      }
      case "push.list": {
        this.visible(a.id, owner);
        return { configs: this.store.listPush(a.id).filter((p) => p.owner === owner).map((p) => p.config), nextPageToken: "" };
      }
      case "push.delete": {
        this.visible(a.id, owner);
        const p = this.store.getPush(a.id, a.configId);
        if (p !== undefined && p.owner === owner) this.store.deletePush(a.id, a.configId);
        return {};
      }
    }
  }

  /** Hands every turn a restart interrupted back to its agent. */
  recover(): number {
    const rows = this.store.pendingTurns();
    for (const row of rows) {
      const turn = row.turn;
      if (turn === undefined) continue;
      const caller = this.callerOf(row.owner.replace(/^a2a:/, ""), row.capabilities);
      this.append(row.id, statusEvent(row.task, "TASK_STATE_WORKING", this.now(), agentMessage(this.ports.newId(), row.task, "resumed after a daemon restart; the agent handles this turn again")));
      this.startTurn(row.id, row.agent, turn, caller, row.trace);
    }
    return rows.length;
  }

  /** Waits for the turns in flight (tests; a daemon's shutdown does not wait: an unanswered turn stays pending). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  /** From now on nothing is written: turns still waiting for their agent stay pending in the store. */
  close(): void {
    this.closed = true;
  }

  private send(a: Extract<A2aTaskArgs, { op: "send" }>, caller: Caller): { taskId: string; seq: number } {
    const owner = caller.agent as string;
    const m = a.request.message;
    const now = this.now();
    if (m.taskId !== undefined && m.taskId !== "") {
      const row = this.visible(m.taskId, owner);
      if (row.agent !== a.agent) throw a2aError("TaskNotFoundError", `task ${m.taskId} not found`, { taskId: m.taskId });
      if (TERMINAL.has(row.state)) throw a2aError("UnsupportedOperationError", `task ${m.taskId} is ${row.state} and accepts no more messages`, { taskId: m.taskId });
      if (m.contextId !== undefined && m.contextId !== "" && m.contextId !== row.task.contextId) {
        throw new AiosError("E_INVALID_ARG", `message.contextId ${m.contextId} is not the context of task ${m.taskId}`, { details: { path: "message.contextId" } });
      }
      if (row.turn !== undefined) throw a2aError("UnsupportedOperationError", `task ${m.taskId} is still working on the previous message`, { taskId: m.taskId });
      const msg: Message = { ...m, taskId: row.id, contextId: row.task.contextId };
      const done = this.append(row.id, { kind: "user", body: msg }, msg);
      if (done === undefined) throw a2aError("UnsupportedOperationError", `task ${m.taskId} ended meanwhile`, { taskId: m.taskId });
      this.startTurn(row.id, row.agent, msg, caller, a.trace);
      return { taskId: row.id, seq: done.seq };
    }
    const id = this.ports.newId();
    const contextId = m.contextId !== undefined && m.contextId !== "" ? m.contextId : this.ports.newId();
    const msg: Message = { ...m, taskId: id, contextId };
    const task: Task = { id, contextId, status: { state: "TASK_STATE_SUBMITTED", timestamp: iso(now) }, history: [msg], ...(a.request.metadata === undefined ? {} : { metadata: a.request.metadata }) };
    this.store.create(task, { agent: a.agent, owner, capabilities: caller.capabilities, now, turn: msg, trace: a.trace });
    const push = a.request.configuration?.taskPushNotificationConfig;
    if (push !== undefined) this.setPush(this.visible(id, owner), push, owner, caller.capabilities);
    this.startTurn(id, a.agent, msg, caller, a.trace);
    return { taskId: id, seq: 0 };
  }

  private startTurn(taskId: string, agent: string, msg: Message, caller: Caller, trace: string | undefined): void {
    const p = this.turn(taskId, agent, msg, caller, trace).finally(() => this.running.delete(p));
    this.running.add(p);
  }

  private async turn(taskId: string, agent: string, msg: Message, caller: Caller, trace: string | undefined): Promise<void> {
    const row = this.store.get(taskId);
    if (row === undefined || this.closed) return;
    if (row.state !== "TASK_STATE_WORKING") this.append(taskId, statusEvent(row.task, "TASK_STATE_WORKING", this.now()));
    let reply: unknown;
    try {
      if (!this.ports.isAgent(agent)) throw new AiosError("E_NO_AGENT", `agent ${agent} is not running or not exposed over A2A`, { details: { agent } });
      const cached = this.callerOf(caller.agent.replace(/^a2a:/, ""), caller.capabilities);
      // The turn runs after the request that opened it returned: it rejoins the client's trace itself.
      const parent = remoteParent(trace);
      const dc = parent === undefined ? cached : { ...cached, trace: parent };
      reply = await this.ports.invoke(dc, "AgentRequest", { to: agent, payload: agentPayload(msg, { id: taskId, contextId: row.task.contextId }, trace), timeoutMs: this.ports.agentTimeoutMs });
    } catch (e) {
      if (this.closed && isShutdown(e)) return; // the turn stays pending; the next start hands it back
      const err = toAiosError(e);
      const state: TaskState = err.code === "E_CAP_DENIED" || err.code === "E_POLICY" ? "TASK_STATE_REJECTED" : "TASK_STATE_FAILED";
      this.append(taskId, statusEvent(row.task, state, this.now(), agentMessage(this.ports.newId(), row.task, `${err.code}: ${err.message}`)), null);
      return;
    }
    const out = outcomeOf(reply);
    if (out.parts.length > 0) {
      this.append(taskId, { kind: "artifact", body: { taskId, contextId: row.task.contextId, artifact: { artifactId: this.ports.newId(), name: "result", parts: out.parts }, lastChunk: true } });
    }
    this.append(taskId, statusEvent(row.task, out.state, this.now(), out.text === undefined ? undefined : agentMessage(this.ports.newId(), row.task, out.text)), null);
  }

  private list(owner: string, scope: string | undefined, q: A2aTaskListQuery): ListTasksResponse {
    const pageSize = q.pageSize ?? PAGE;
    let before: { updatedAt: number; id: string } | undefined;
    if (q.pageToken !== undefined && q.pageToken !== "") before = decodeToken(q.pageToken);
    const state = q.status === undefined || q.status === "TASK_STATE_UNSPECIFIED" ? undefined : q.status;
    const after = q.statusTimestampAfter === undefined ? undefined : Date.parse(q.statusTimestampAfter);
    const { rows, total } = this.store.list({
      owner,
      ...(scope === undefined ? {} : { agent: scope }),
      ...(q.contextId === undefined || q.contextId === "" ? {} : { contextId: q.contextId }),
      ...(state === undefined ? {} : { state }),
      ...(after === undefined ? {} : { after }),
      limit: pageSize + 1,
      ...(before === undefined ? {} : { before }),
    });
    const page = rows.slice(0, pageSize);
    const last = page[page.length - 1];
    const more = rows.length > pageSize && last !== undefined;
    return {
      tasks: page.map((r) => view(r.task, { historyLength: q.historyLength, artifacts: q.includeArtifacts === true })),
      nextPageToken: more ? encodeToken(last.updatedAt, last.id) : "",
      pageSize,
      totalSize: total,
    };
  }

  private setPush(row: TaskRow, c: { id?: string | undefined; url: string; token?: string | undefined; authentication?: { scheme: string; credentials?: string | undefined } | undefined }, owner: string, caps: readonly string[]): StoredPushConfig {
    const cfg: StoredPushConfig = {
      id: c.id !== undefined && c.id !== "" ? c.id : this.ports.newId(),
      taskId: row.id,
      url: c.url,
      ...(c.token === undefined ? {} : { token: c.token }),
      ...(c.authentication === undefined ? {} : { authentication: { scheme: c.authentication.scheme, ...(c.authentication.credentials === undefined ? {} : { credentials: c.authentication.credentials }) } }),
    };
    this.store.putPush(cfg, owner, caps, this.now());
    return cfg;
  }

  /** Appends an event, wakes readers, hands it to push delivery; undefined when the task was already terminal. */
  private append(taskId: string, ev: Exclude<TaskEvent, { kind: "task" }>, turn?: Message | null): { seq: number; task: Task } | undefined {
    if (this.closed) return undefined;
    const done = this.store.append(taskId, ev, this.ports.clock.now(), turn);
    if (done === undefined) return undefined;
    this.hub.notify(taskId);
    if (ev.kind === "status") this.push.deliver(taskId, { statusUpdate: ev.body });
    else if (ev.kind === "artifact") this.push.deliver(taskId, { artifactUpdate: ev.body });
    return { seq: done.seq, task: done.row.task };
  }

  private now(): number {
    return this.ports.clock.now();
  }
}

type A2aTaskListQuery = Extract<A2aTaskArgs, { op: "list" }>["query"];

function isShutdown(e: unknown): boolean {
  const c = toAiosError(e).code;
  return c === "E_SHUTDOWN" || c === "E_AGENT_STOPPED";
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function statusEvent(task: Task, state: TaskState, now: number, message?: Message): Exclude<TaskEvent, { kind: "task" }> {
  return { kind: "status", body: { taskId: task.id, contextId: task.contextId, status: { state, timestamp: iso(now), ...(message === undefined ? {} : { message }) } } };
}

function agentMessage(id: string, task: Task, text: string): Message {
  return { messageId: id, role: "ROLE_AGENT", parts: [{ text }], taskId: task.id, contextId: task.contextId };
}

function encodeToken(updatedAt: number, id: string): string {
  return Buffer.from(JSON.stringify([updatedAt, id])).toString("base64url");
}

function decodeToken(t: string): { updatedAt: number; id: string } {
  try {
    const v = JSON.parse(Buffer.from(t, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(v) && typeof v[0] === "number" && typeof v[1] === "string") return { updatedAt: v[0], id: v[1] };
  } catch {
    // fall through: a token we did not issue
  }
  throw new AiosError("E_INVALID_ARG", "pageToken: not a token this server issued", { details: { path: "pageToken" } });
}
