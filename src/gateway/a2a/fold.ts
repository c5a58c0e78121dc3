/**
 * A task is the fold of its event log: seq 0 holds the task as created, every later seq one event
 * (a status change, an artifact, a user turn). The store keeps the folded task beside the log for
 * reads, and refolds a prefix of the log for a subscriber resuming at a cursor, so the snapshot it
 * is sent is exactly the state at that cursor and the events after it neither repeat nor skip any.
 */
import type { ArtifactUpdate, Message, StatusUpdate, Task } from "./wire.js";

export type TaskEvent = { readonly kind: "task"; readonly body: Task } | { readonly kind: "status"; readonly body: StatusUpdate } | { readonly kind: "artifact"; readonly body: ArtifactUpdate } | { readonly kind: "user"; readonly body: Message };

export function fold(task: Task, ev: TaskEvent): Task {
  switch (ev.kind) {
    case "task":
      return ev.body;
    case "status": {
      const m = ev.body.status.message;
      return { ...task, status: ev.body.status, ...(m === undefined ? {} : { history: [...(task.history ?? []), m] }) };
    }
    case "artifact": {
      const a = ev.body.artifact;
      const list = [...(task.artifacts ?? [])];
      const at = list.findIndex((x) => x.artifactId === a.artifactId);
      if (at < 0) list.push(a);
      else {
        const prev = list[at];
        list[at] = ev.body.append === true && prev !== undefined ? { ...prev, parts: [...prev.parts, ...a.parts] } : a;
      }
      return { ...task, artifacts: list };
    }
    case "user":
      return { ...task, history: [...(task.history ?? []), ev.body] };
  }
}

/** Copies of a task for a reader: at most `historyLength` recent messages (0: none), artifacts or not. */
export function view(task: Task, o: { historyLength?: number | undefined; artifacts?: boolean }): Task {
  const { history, artifacts, ...rest } = task;
  const h = history ?? [];
  const n = o.historyLength;
  const kept = n === undefined ? h : n === 0 ? [] : h.slice(-n);
  return {
    ...rest,
    ...(kept.length > 0 ? { history: kept } : {}),
    ...(o.artifacts === false ? {} : { artifacts: artifacts ?? [] }),
  };
}
