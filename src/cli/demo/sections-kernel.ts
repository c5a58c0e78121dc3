/**
 * Demo sections 1-4, on the in-process kernel: a supervision tree of code workers, requests and
 * replies between agents, a crash and its supervised restart, and pause/resume with queued mail.
 * Every id, reply and event printed is the real one.
 */
import type { AgentId, AnyKernelEvent } from "../../core/index.js";
import type { Aios } from "../../sdk/index.js";
import { treeText } from "../render.js";
import type { Narrator } from "./narrator.js";
import { WORKER_MODULE } from "./paths.js";

export interface Team {
  readonly supervisor: AgentId;
  readonly workers: readonly AgentId[];
}

// Sending to another agent is a syscall like any other: the workers hold the capability to do it.
const worker = (name: string) => ({ name, kind: "code" as const, module: WORKER_MODULE, export: "worker", capabilities: ["agent:*#send"] });

export async function sectionTree(os: Aios, say: Narrator): Promise<Team> {
  say.section("A supervision tree", "Agents are processes. A supervisor (OTP one_for_one) starts three code workers; each is an actor that handles one message at a time. `aios tree` shows the same picture.");
  const supervisor = await os.spawn({
    name: "team",
    kind: "supervisor",
    supervision: { strategy: "one_for_one", intensity: 3, periodMs: 10_000 },
    children: [worker("worker-1"), worker("worker-2"), worker("worker-3")],
  });
  const workers = os.status(supervisor).children;
  say.say(treeText(os.tree()));
  return { supervisor, workers };
}

export async function sectionMessaging(os: Aios, say: Narrator, team: Team): Promise<void> {
  const [w1, w2] = team.workers;
  if (w1 === undefined || w2 === undefined) return;
  say.section("Messaging: requests and replies", "Messages go into bounded mailboxes. A request waits for the recipient's reply; agents can ask each other too (worker-1 asks worker-2, then relays the answer) — sending is a syscall, allowed by the capability agent:*#send in their specs.");
  say.show(`request  -> worker-1 ${w1} {square 7}`, await os.request(w1, { type: "square", n: 7 }));
  say.show(`request  -> worker-1 {ask worker-2 to square 12}`, await os.request(w1, { type: "ask", to: w2, n: 12 }));
  say.ok("worker-1 sent its own request to worker-2 and relayed the reply");
}

export async function sectionCrash(os: Aios, say: Narrator, team: Team): Promise<void> {
  const w3 = team.workers[2];
  if (w3 === undefined) return;
  say.section("A crash and its supervised restart", "worker-3 gets a poison message and throws. The kernel contains the crash; the supervisor restarts the worker under the same id (a new incarnation), so messages keep reaching it.");
  const seen: AnyKernelEvent[] = [];
  const restarted = new Promise<void>((resolve) => {
    const sub = os.events.subscribe({ types: ["agent.crashed", "agent.restarted"], agent: w3 }, (e) => {
      seen.push(e);
      if (e.type === "agent.restarted") {
        sub();
        resolve();
      }
    });
  });
  const before = os.status(w3).incarnation;
  await os.send(w3, { type: "poison" });
  await restarted;
  for (const e of seen) say.event(e);
  const after = os.status(w3);
  say.show("worker-3 now", `${after.id} status ${after.status}, incarnation ${before} -> ${after.incarnation}`);
  say.show(`request  -> worker-3 {square 9}`, await os.request(w3, { type: "square", n: 9 }));
  say.ok("the restarted worker answers under the same id");
}

export async function sectionPause(os: Aios, say: Narrator, team: Team): Promise<void> {
  const w2 = team.workers[1];
  if (w2 === undefined) return;
  say.section("Pause and resume", "A paused agent handles nothing: its mail queues in its mailbox. On resume the queue drains, in order.");
  await os.pause(w2);
  for (const text of ["first", "second", "third"]) await os.send(w2, { type: "note", text });
  const paused = os.status(w2);
  say.show("worker-2 paused", `status ${paused.status}, mailbox ${paused.mailbox} message(s) waiting`);
  await os.resume(w2);
  // A request queues behind the notes, so its answer comes after they drained.
  const stats = (await os.request(w2, { type: "stats" })) as { notes: string[] };
  const resumed = os.status(w2);
  say.show("worker-2 resumed", `status ${resumed.status}, mailbox ${resumed.mailbox}; notes handled in order: ${stats.notes.join(", ")}`);
  say.ok("nothing was lost or reordered while paused");
}
