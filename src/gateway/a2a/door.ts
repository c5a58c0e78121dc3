/**
 * The A2A operations as one kernel syscall, `A2aTask`, so every A2A request is an effect through
 * the door (schema, capability, policy, quota, audit, event) like an agent's own calls. The caller
 * is the authenticated principal as a caller of its own (`a2a:<principal>`), never an agent. The
 * capability asked is `agent:<agent>#send` for the agent the task belongs to (who may talk to an
 * agent may manage the tasks they opened with it); `agent:*` for a listing across all agents.
 * Ownership scoping (AUTH-SCOPE-002/003) is the handler's: a task of another owner is "not found".
 * The agent's own work is a second door call, AgentRequest, made by the engine with the same caller.
 */
import { z } from "zod";
import { zodArgs, type ArgParser, type SyscallDef } from "../../abi/index.js";
import { ListTasksRequestSchema, PushConfigSchema, SendMessageRequestSchema, type ListTasksRequest, type PushConfig, type SendMessageRequest } from "./wire.js";

export const A2A_SYSCALL = "A2aTask";

const Agent = z.string().min(1).max(256);
const TaskId = z.string().min(1).max(256);

export const A2aTaskArgsSchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("send"), agent: Agent, request: SendMessageRequestSchema, trace: z.string().max(55).optional() }),
  z.object({ op: z.literal("get"), agent: Agent, id: TaskId, historyLength: z.number().int().min(0).optional() }),
  z.object({ op: z.literal("cancel"), agent: Agent, id: TaskId }),
  z.object({ op: z.literal("subscribe"), agent: Agent, id: TaskId, cursor: z.number().int().min(0).optional() }),
  z.object({ op: z.literal("list"), agent: Agent, scope: Agent.optional(), query: ListTasksRequestSchema }),
  z.object({ op: z.literal("push.set"), agent: Agent, id: TaskId, config: PushConfigSchema }),
  z.object({ op: z.literal("push.get"), agent: Agent, id: TaskId, configId: TaskId }),
  z.object({ op: z.literal("push.list"), agent: Agent, id: TaskId }),
  z.object({ op: z.literal("push.delete"), agent: Agent, id: TaskId, configId: TaskId }),
]);

export type A2aTaskArgs =
  | { op: "send"; agent: string; request: SendMessageRequest; trace?: string }
  | { op: "get"; agent: string; id: string; historyLength?: number }
  | { op: "cancel"; agent: string; id: string }
  | { op: "subscribe"; agent: string; id: string; cursor?: number }
  | { op: "list"; agent: string; scope?: string; query: ListTasksRequest }
  | { op: "push.set"; agent: string; id: string; config: PushConfig }
  | { op: "push.get" | "push.delete"; agent: string; id: string; configId: string }
  | { op: "push.list"; agent: string; id: string };

declare module "../../abi/syscalls.js" {
  interface SyscallMap {
    A2aTask: { args: A2aTaskArgs; result: unknown };
  }
}

export function a2aSyscall(handler: SyscallDef<"A2aTask">["handler"]): SyscallDef<"A2aTask"> {
  return {
    name: "A2aTask",
    parse: zodArgs("A2aTask", A2aTaskArgsSchema) as ArgParser<A2aTaskArgs>,
    requires: (a) => [{ resource: `agent:${a.agent}`, action: "send" }],
    // Task state is the A2A store's, written by the handler itself; nothing here acts outside the kernel.
    sideEffect: false,
    handler,
  };
}
