/**
 * The A2A v1.0 data model as it travels on the wire (ProtoJSON of a2a.proto: camelCase fields,
 * enums as their SCREAMING_SNAKE names, timestamps as ISO 8601 UTC strings). Requests are parsed
 * with these zod schemas, so a bad field is an InvalidParams error naming it (CORE-ERR-002); what
 * the server writes is typed by the interfaces below and built only in this module's siblings.
 */
import { z } from "zod";

export const TASK_STATES = [
  "TASK_STATE_SUBMITTED",
  "TASK_STATE_WORKING",
  "TASK_STATE_COMPLETED",
  "TASK_STATE_FAILED",
  "TASK_STATE_CANCELED",
  "TASK_STATE_INPUT_REQUIRED",
  "TASK_STATE_REJECTED",
  "TASK_STATE_AUTH_REQUIRED",
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const TERMINAL: ReadonlySet<TaskState> = new Set(["TASK_STATE_COMPLETED", "TASK_STATE_FAILED", "TASK_STATE_CANCELED", "TASK_STATE_REJECTED"]);
/** States a blocking SendMessage returns at (CORE-EXECUTION-MODE-001): terminal or interrupted. */
export const SETTLED: ReadonlySet<TaskState> = new Set([...TERMINAL, "TASK_STATE_INPUT_REQUIRED", "TASK_STATE_AUTH_REQUIRED"]);

const Id = z.string().min(1).max(256);
const Struct = z.record(z.string(), z.unknown());

/** Exactly one of text, raw (base64), url or data (DM-PART-001). */
export const PartSchema = z
  .object({
    text: z.string().optional(),
    raw: z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/, "expected base64").optional(),
    url: z.string().url().optional(),
    data: z.unknown().optional(),
    metadata: Struct.optional(),
    filename: z.string().max(1024).optional(),
    mediaType: z.string().max(256).optional(),
  })
  .superRefine((p, ctx) => {
    const n = [p.text, p.raw, p.url, p.data].filter((v) => v !== undefined).length;
    if (n !== 1) ctx.addIssue({ code: "custom", message: "a part holds exactly one of text, raw, url or data" });
  });
export type Part = z.output<typeof PartSchema>;

export const MessageSchema = z.object({
  messageId: Id,
  contextId: z.string().max(256).optional(),
  taskId: z.string().max(256).optional(),
  role: z.enum(["ROLE_USER", "ROLE_AGENT"]),
  parts: z.array(PartSchema).min(1).max(256),
  metadata: Struct.optional(),
  extensions: z.array(z.string()).optional(),
  referenceTaskIds: z.array(Id).optional(),
});
export type Message = z.output<typeof MessageSchema>;

const AuthenticationInfo = z.object({ scheme: z.string().min(1).max(64), credentials: z.string().max(8192).optional() });

export const PushConfigSchema = z.object({
  tenant: z.string().optional(),
  id: z.string().max(256).optional(),
  taskId: z.string().max(256).optional(),
  url: z.string().url().refine((u) => /^https?:/i.test(u), "expected an http(s) URL"),
  token: z.string().max(8192).optional(),
  authentication: AuthenticationInfo.optional(),
});
export type PushConfig = z.output<typeof PushConfigSchema>;

const HistoryLength = z.number().int().min(0).max(10_000);

export const SendMessageRequestSchema = z.object({
  tenant: z.string().optional(),
  message: MessageSchema,
  configuration: z
    .object({
      acceptedOutputModes: z.array(z.string()).optional(),
      taskPushNotificationConfig: PushConfigSchema.optional(),
      historyLength: HistoryLength.optional(),
      returnImmediately: z.boolean().optional(),
    })
    .optional(),
  metadata: Struct.optional(),
});
export type SendMessageRequest = z.output<typeof SendMessageRequestSchema>;

export const GetTaskRequestSchema = z.object({ tenant: z.string().optional(), id: Id, historyLength: HistoryLength.optional() });
export const CancelTaskRequestSchema = z.object({ tenant: z.string().optional(), id: Id, metadata: Struct.optional() });
export const SubscribeRequestSchema = z.object({ tenant: z.string().optional(), id: Id });
export const ListTasksRequestSchema = z.object({
  tenant: z.string().optional(),
  contextId: z.string().max(256).optional(),
  status: z.enum(["TASK_STATE_UNSPECIFIED", ...TASK_STATES]).optional(),
  pageSize: z.number().int().min(1).max(100).optional(),
  pageToken: z.string().max(512).optional(),
  historyLength: HistoryLength.optional(),
  statusTimestampAfter: z.iso.datetime().optional(),
  includeArtifacts: z.boolean().optional(),
});
export type ListTasksRequest = z.output<typeof ListTasksRequestSchema>;
export const TaskConfigRefSchema = z.object({ tenant: z.string().optional(), taskId: Id, id: Id });
export const ListConfigsRequestSchema = z.object({ tenant: z.string().optional(), taskId: Id, pageSize: z.number().int().min(0).max(1000).optional(), pageToken: z.string().optional() });

export interface TaskStatus {
  readonly state: TaskState;
  readonly message?: Message;
  readonly timestamp: string;
}

export interface Artifact {
  readonly artifactId: string;
  readonly name?: string;
  readonly parts: readonly Part[];
  readonly metadata?: Record<string, unknown>;
}

export interface Task {
  readonly id: string;
  readonly contextId: string;
  readonly status: TaskStatus;
  readonly artifacts?: readonly Artifact[];
  readonly history?: readonly Message[];
  readonly metadata?: Record<string, unknown>;
}

export interface StatusUpdate {
  readonly taskId: string;
  readonly contextId: string;
  readonly status: TaskStatus;
  readonly metadata?: Record<string, unknown>;
}

export interface ArtifactUpdate {
  readonly taskId: string;
  readonly contextId: string;
  readonly artifact: Artifact;
  readonly append?: boolean;
  readonly lastChunk?: boolean;
  readonly metadata?: Record<string, unknown>;
}

/** StreamResponse: exactly one member set (PUSH-DELIVER-003). */
export type StreamResponse = { readonly task: Task } | { readonly message: Message } | { readonly statusUpdate: StatusUpdate } | { readonly artifactUpdate: ArtifactUpdate };

export interface ListTasksResponse {
  readonly tasks: readonly Task[];
  readonly nextPageToken: string;
  readonly pageSize: number;
  readonly totalSize: number;
}

/** The TaskPushNotificationConfig the server returns (the token and credentials are the client's own). */
export interface StoredPushConfig {
  readonly id: string;
  readonly taskId: string;
  readonly url: string;
  readonly token?: string;
  readonly authentication?: { readonly scheme: string; readonly credentials?: string };
}
