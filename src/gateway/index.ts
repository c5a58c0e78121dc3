/**
 * gateway/: the daemon's HTTP + SSE control API (agents, memory, tools, secrets, capabilities, audit, ...) (Hono on 127.0.0.1, bearer token from
 * `<dataDir>/api-token`, OpenAPI at /openapi.json), the in-process ControlPlane it serves, and the
 * daemon.json that tells the CLI where a running daemon listens.
 *
 * Wiring (what `aios up` does): `const os = await boot({ dataDir, durable: true });
 * const plane = new ControlPlane(os); const gw = await startGateway(plane, { token: ensureApiToken(dataDir), port });`
 */
export type { ControlApi, TokenSummary, AuditVerifyReport, EventsFilter, MetricsText, PlanView, LedgerBalances } from "./api.js";
export { ControlPlane, verifyAuditDir, splitAction, summarizeToken } from "./control.js";
export { EventHistory, matchesFilter, HISTORY_TYPES } from "./event-history.js";
export { startGateway, buildApp, DEFAULT_PORT, DEFAULT_HOST, type Gateway, type GatewayOptions } from "./server.js";
export { ROUTES, type RouteDef, type RouteInput, type GatewayApi } from "./routes.js";
export type { OsApi, MemoryApi, ToolsApi, SecretsApi, ToolSummary, ToolDescription } from "./os-api.js";
export { MemoryPlane, ToolsPlane, SecretsPlane } from "./os-plane.js";
export {
  MemPutBody, MemUpdateBody, MemQueryBody, MemLinkBody, MemNeighboursQuery, MemSnapshotBody, MemSnapshotsQuery, MemGrantBody, MemGrantsQuery, AsQuery, ToolCallBody, SecretPutBody,
  type MemPutInput, type MemUpdateInput, type MemQueryInput, type MemLinkInput, type MemNeighboursInput, type MemSnapshotInput, type MemGrantInput, type ToolCallInput,
} from "./schemas-os.js";
export { openApiDocument } from "./openapi.js";
export { publicOrigin } from "./web/auth.js";
export { httpStatusOf, errorBody } from "./http-errors.js";
export { ensureApiToken, readApiToken, tokenMatches, bearerToken, tokenPath, TOKEN_FILE } from "./token.js";
export { writeDaemonInfo, readDaemonInfo, removeDaemonInfo, findLiveDaemon, isProcessAlive, daemonFilePath, DaemonInfoSchema, DAEMON_FILE, type DaemonInfo } from "./daemon-file.js";
export {
  SpawnBody, SendBody, RequestBody, KillBody, PsQuery, EventsQuery, CapGrantBody, CapRevokeBody, CapExplainBody, PlanBody, DepositBody, parseInput,
  type SpawnInput, type PsInput, type EventsInput, type PlanInput, type DepositInput, type LedgerTransfersInput,
} from "./schemas.js";
export { mcpEndpointFor, systemSurface, McpEndpoint, SessionEventLog, aiosSurface, mcpAuthenticator, McpSession, StatelessRouter, DEFAULT_OPERATOR_CAPABILITIES, type McpSurface, type McpPrincipal, type McpRequestContext, type McpServeOptions } from "./mcp/index.js";
export { startA2a, a2aAgents, A2aEndpoint, A2aService, A2aEngine, TaskStore, A2A_ERRORS, PROTOCOL_VERSION, DEFAULT_A2A_OPERATOR_CAPABILITIES, agentCard, type A2aServer, type A2aServeOptions, type A2aAgentInfo, type A2aErrorType } from "./a2a/index.js";
