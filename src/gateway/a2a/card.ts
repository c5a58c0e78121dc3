/**
 * Agent Cards (spec 8): the daemon's at `/.well-known/agent-card.json`, listing every agent exposed
 * over A2A as a skill, and each agent's at `/a2a/agents/<name>/.well-known/agent-card.json`. Both
 * declare the two bindings served (JSON-RPC and HTTP+JSON, protocol 1.0) with their URLs, streaming
 * and push notifications, no extended card, and the one security scheme: an HTTP bearer token (the
 * API token or an operator-issued capability token).
 */
import { PROTOCOL_VERSION } from "./version.js";
import type { A2aSkill } from "./service.js";

export interface CardInput {
  readonly name: string;
  readonly description: string;
  readonly version: string;
  /** Base URL of the endpoint: `<base>/jsonrpc` and `<base>/rest` are its interfaces. */
  readonly base: string;
  readonly skills: readonly A2aSkill[];
  readonly inputModes: readonly string[];
  readonly outputModes: readonly string[];
}

export function agentCard(c: CardInput): Record<string, unknown> {
  return {
    name: c.name,
    description: c.description,
    supportedInterfaces: [
      { url: `${c.base}/jsonrpc`, protocolBinding: "JSONRPC", protocolVersion: PROTOCOL_VERSION },
      { url: `${c.base}/rest`, protocolBinding: "HTTP+JSON", protocolVersion: PROTOCOL_VERSION },
    ],
    provider: { organization: "AIOS", url: c.base },
    version: c.version,
    capabilities: { streaming: true, pushNotifications: true, extendedAgentCard: false },
    securitySchemes: { bearer: { httpAuthSecurityScheme: { scheme: "Bearer", description: "the daemon's API token or an operator-issued capability token" } } },
    securityRequirements: [{ schemes: { bearer: { list: [] } } }],
    defaultInputModes: [...c.inputModes],
    defaultOutputModes: [...c.outputModes],
    skills: c.skills.map((s) => ({ id: s.id, name: s.name, description: s.description, tags: [...s.tags], ...(s.examples === undefined ? {} : { examples: [...s.examples] }) })),
  };
}
