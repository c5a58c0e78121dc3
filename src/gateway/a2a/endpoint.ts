/**
 * The A2A HTTP surface as one function from a Web Request to a Response, mounted by the gateway
 * before its own bearer check (A2A authenticates itself, like /mcp). Paths:
 *   /.well-known/agent-card.json                      the daemon's card (public)
 *   /a2a/jsonrpc, /a2a/rest/...                        the daemon's bindings (routes by skill)
 *   /a2a/agents/<name>/.well-known/agent-card.json     an agent's card (public)
 *   /a2a/agents/<name>/jsonrpc, .../rest/...           that agent's bindings (its tasks only)
 * For every operation, in order: authentication (bearer: API token or capability token; 401 with
 * WWW-Authenticate otherwise), the A2A-Version check (VersionNotSupportedError), then the binding.
 * Cards are public: they name only agents the operator chose to expose.
 */
import type { Clock } from "../../core/index.js";
import { AiosError } from "../../core/index.js";
import { agentCard } from "./card.js";
import { answerRpc, parseEnvelope, rpcError, rpcWireError } from "./jsonrpc.js";
import { answerRest, restError } from "./rest.js";
import type { A2aAgentInfo, A2aService, CallContext, Principal } from "./service.js";
import { checkVersion, traceparentOf } from "./version.js";

export interface A2aEndpointOptions {
  readonly service: A2aService;
  readonly authenticate: (bearer: string | undefined) => Principal | undefined;
  readonly agents: () => readonly A2aAgentInfo[];
  readonly clock: Clock;
  readonly version: string;
  readonly inputModes: readonly string[];
  readonly outputModes: readonly string[];
}

const CARD = "/.well-known/agent-card.json";
const CHALLENGE = { "www-authenticate": 'Bearer realm="aios-a2a"' };

export class A2aEndpoint {
  constructor(private readonly o: A2aEndpointOptions) {}

  /** True for the paths this endpoint serves (the gateway mounts it there). */
  static serves(path: string): boolean {
    return path === CARD || path === "/a2a" || path.startsWith("/a2a/");
  }

  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const now = (): string => new Date(this.o.clock.now()).toISOString();
    const path = url.pathname;
    let agent: A2aAgentInfo | undefined;
    let rest = path;
    if (path === CARD) return this.card(req, url, undefined);
    if (path.startsWith("/a2a/agents/")) {
      const tail = path.slice("/a2a/agents/".length);
      const cut = tail.indexOf("/");
      const name = decodeURIComponent(cut < 0 ? tail : tail.slice(0, cut));
      agent = this.o.agents().find((a) => a.name === name || a.id === name);
      if (agent === undefined) return restError(new AiosError("E_NOT_FOUND", `no agent named "${name}" is exposed over A2A`, { details: { agent: name } }), now());
      rest = cut < 0 ? "" : tail.slice(cut);
      if (rest === CARD) return this.card(req, url, agent);
    } else rest = path.slice("/a2a".length);
    const isRpc = rest === "/jsonrpc";
    const isRest = rest === "/rest" || rest.startsWith("/rest/");
    if (!isRpc && !isRest) return restError(new AiosError("E_NOT_FOUND", `no A2A route ${req.method} ${path}`, { details: { path } }), now());
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.get("authorization") ?? "")?.[1];
    const principal = this.o.authenticate(bearer);
    const abort = new AbortController();
    req.signal.addEventListener("abort", () => abort.abort(), { once: true });
    if (isRpc) {
      if (req.method !== "POST") return rpcError(null, { code: -32600, message: "JSON-RPC requests are POSTed" }, 405, { allow: "POST" });
      const env = parseEnvelope(await req.text(), now());
      if (env instanceof Response) return env;
      if (principal === undefined) return rpcError(env.id, rpcWireError(new AiosError("E_AUTH", "a bearer token is required (the API token or a capability token)"), now()), 401, CHALLENGE);
      let ctx: CallContext;
      try {
        checkVersion(req, url);
        ctx = this.ctx(principal, agent, req, abort);
      } catch (e) {
        return rpcError(env.id, rpcWireError(e, now()));
      }
      return answerRpc(this.o.service, ctx, env, now, abort);
    }
    if (principal === undefined) return restError(new AiosError("E_AUTH", "a bearer token is required (the API token or a capability token)"), now(), CHALLENGE);
    let ctx: CallContext;
    try {
      checkVersion(req, url);
      ctx = this.ctx(principal, agent, req, abort);
    } catch (e) {
      return restError(e, now());
    }
    return answerRest(this.o.service, ctx, req, rest.slice("/rest".length), url, now, abort);
  }

  private ctx(principal: Principal, agent: A2aAgentInfo | undefined, req: Request, abort: AbortController): CallContext {
    const trace = traceparentOf(req);
    const state = req.headers.get("tracestate") ?? undefined;
    const last = req.headers.get("last-event-id");
    let lastEventId: number | undefined;
    if (last !== null) {
      if (!/^\d{1,15}$/.test(last.trim())) throw new AiosError("E_INVALID_ARG", `Last-Event-ID: expected an event seq, got "${last}"`, { details: { path: "Last-Event-ID" } });
      lastEventId = Number(last.trim());
    }
    return { principal, agent, signal: abort.signal, ...(trace === undefined ? {} : { traceparent: trace, ...(state === undefined ? {} : { tracestate: state.slice(0, 512) }) }), ...(lastEventId === undefined ? {} : { lastEventId }) };
  }

  private card(req: Request, url: URL, agent: A2aAgentInfo | undefined): Response {
    if (req.method !== "GET" && req.method !== "HEAD") return new Response(null, { status: 405, headers: { allow: "GET" } });
    const origin = `${url.protocol}//${url.host}`;
    const all = this.o.agents();
    const card =
      agent === undefined
        ? agentCard({
            name: "aios",
            description: `The AIOS daemon: each agent it exposes over A2A is one skill (name it in metadata.skill). Agents: ${all.map((a) => a.name).join(", ") || "none yet"}.`,
            version: this.o.version,
            base: `${origin}/a2a`,
            skills: all.map((a) => ({ id: a.name, name: a.name, description: a.description, tags: ["aios-agent"] })),
            inputModes: this.o.inputModes,
            outputModes: this.o.outputModes,
          })
        : agentCard({ name: agent.name, description: agent.description, version: agent.version, base: `${origin}/a2a/agents/${encodeURIComponent(agent.name)}`, skills: agent.skills, inputModes: this.o.inputModes, outputModes: this.o.outputModes });
    return new Response(JSON.stringify(card), { status: 200, headers: { "content-type": "application/json", "cache-control": "max-age=60" } });
  }
}
