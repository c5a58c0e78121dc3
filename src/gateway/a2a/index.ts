/**
 * gateway/a2a/: AIOS as an A2A v1.0 server. Every agent whose spec sets `a2a` and the daemon as a
 * whole are A2A agents (cards, JSON-RPC and HTTP+JSON bindings, streaming, push notifications);
 * every operation is the `A2aTask` syscall through the kernel's door, an agent's work an
 * AgentRequest through it, and tasks with their per-task event logs live in `<dataDir>/a2a.db`.
 * The client side (the `a2a.send` tool) is in tools/.
 */
export { startA2a, a2aAgents, DEFAULT_A2A_OPERATOR_CAPABILITIES, type A2aServer, type A2aServeOptions } from "./system.js";
export { A2aEndpoint, type A2aEndpointOptions } from "./endpoint.js";
export { A2aService, type A2aAgentInfo, type A2aSkill, type Principal, type CallContext, type StreamItem } from "./service.js";
export { A2aEngine } from "./engine.js";
export { TaskStore } from "./store.js";
export { A2A_ERRORS, a2aError, toWireError, type A2aErrorType } from "./errors.js";
export { PROTOCOL_VERSION, requestedVersion } from "./version.js";
export { agentCard } from "./card.js";
