/**
 * ipc/: semantic IPC — envelopes (performatives, conversations, schema ids, 64 KB limit, Ed25519
 * signatures), routing by address, topic (NATS-style wildcards) and intent (embedding similarity
 * with threshold and load-aware ties), request/response with timeouts and cancellation, streams
 * with backpressure (produced by SDK code or by agents through the Stream* syscalls), broadcast, a
 * replayable dead-letter queue, de-duplication for at-least-once delivery, and pipelines with
 * contracts checked at composition. Joined to the kernel by ipcSubsystem.
 *
 * De-duplication guarantee: a durable agent drops a message id it has already accepted while that
 * message is unacknowledged and while it is among its last 4096 handled ids — across restarts, crashes
 * and journal compaction (the id is journaled with the message; ADR 0008). Other agents: in memory
 * only (`dedupAll`), for the life of the process.
 */
export { Ipc, type IpcOptions, type SendSpec, type SendResult, type Contract } from "./ipc.js";
export { ipcSubsystem, type IpcSubsystemOptions, type IpcUses } from "./subsystem.js";
export { ipcSyscalls } from "./syscalls.js";
export { streamSyscalls } from "./stream-syscalls.js";
export { PERFORMATIVES, CONTRACT_NET_PERFORMATIVES, DEFAULT_MAX_PAYLOAD_BYTES, EnvelopeSchema, parseEnvelope, encodePayload, signingBytes, type Envelope, type Performative, type MessageSignature } from "./envelope.js";
export { canonicalJson } from "./canonical.js";
export { SchemaRegistry } from "./schemas.js";
export { SignaturePolicy, keysFromIdentities, signEnvelope, checkSignature, type MessageKeys, type SignatureMode, type SignaturePolicyConfig } from "./signing.js";
export { TopicIndex, topicMatches, parseTopic, parsePattern } from "./topics.js";
export { IntentRouter, adaptEmbedder, type IntentEmbedder, type IntentRouterOptions, type Skill, type RouteDecision, type LoadOf } from "./intents.js";
export { DeadLetterQueue, DEAD_LETTER_REASONS, type DeadLetter, type DeadLetterReason } from "./dead-letters.js";
export { dedupKey, SeenWindow } from "./dedup.js";
export { MessageStream } from "./streams.js";
export type { StreamWriter } from "./stream-table.js";
export { request, type RequestOptions } from "./requests.js";
export { composePipeline, parsePipeline, type Pipeline, type Stage, type ComposeOptions, type RunOptions } from "./pipeline.js";
export type { IpcPort, AgentFacts, Reply } from "./port.js";
export { ipcOf, send, publish, broadcast, ask, pipeline, openStream, streamReader, deadLetters, replayDeadLetter, isEnvelope, envelopeOf } from "./sdk.js";
