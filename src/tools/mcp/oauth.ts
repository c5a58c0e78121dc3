/**
 * OAuth 2.1 for Streamable HTTP MCP servers that require it (MCP authorization, 2025-11-25):
 * - on a 401, or a 403 with `insufficient_scope`, the client discovers the server's protected
 *   resource metadata and authorization server (the SDK's `auth()`: RFC 9728, RFC 8414 / OIDC
 *   discovery), registers itself (pre-registered id, a client ID metadata document URL, or dynamic
 *   registration), runs the authorization code grant with PKCE and `resource`, and retries the
 *   request once with the new token. Step-up asks for the union of the scopes already granted and
 *   the challenged ones, so a second grant never loses the first.
 * - the authorization step itself is the `Authorizer`'s: it gets the authorization URL and returns
 *   the code. `followRedirect` is the headless one (an authorization server that approves without a
 *   person redirects at once; the code is read from that redirect and `state` is checked).
 * - `client_credentials` (machine to machine, no person at all) uses the SDK's providers, the client
 *   authenticating with a secret or a signed JWT (private_key_jwt).
 * Tokens, the PKCE verifier and registration live in memory for the connection's lifetime: one
 * retry per request, so a server that keeps refusing fails the call instead of looping.
 */
import { randomBytes } from "node:crypto";
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import { AiosError } from "../../core/index.js";
import { mcpSdk } from "./sdk.js";

/** Takes the user (or an approving server) through the authorization URL; resolves to the code. */
export type Authorizer = (authorizationUrl: URL) => Promise<string>;

export interface McpOAuthOptions {
  readonly grant: "authorization_code" | "client_credentials";
  readonly clientName?: string | undefined;
  /** Where the authorization server sends the code (registered with it). */
  readonly redirectUrl?: string | undefined;
  /** A pre-registered client (no dynamic registration); a secret makes it a confidential client. */
  readonly clientId?: string | undefined;
  readonly clientSecret?: string | undefined;
  /** client_credentials with private_key_jwt (RFC 7523) instead of a secret: a PEM key and its JWS algorithm. */
  readonly privateKeyPem?: string | undefined;
  readonly signingAlgorithm?: string | undefined;
  /** client_credentials: the authorization server's issuer; credentials go to no other server. */
  readonly issuer?: string | undefined;
  /** An https URL of a client ID metadata document, used as the client_id where the server supports it. */
  readonly clientMetadataUrl?: string | undefined;
  /** Scope to ask for when neither the challenge nor the server's metadata names one. */
  readonly scope?: string | undefined;
  /** Required for authorization_code. */
  readonly authorize?: Authorizer | undefined;
}

export const DEFAULT_REDIRECT_URL = "http://127.0.0.1:33418/aios/oauth/callback";

/** The headless authorizer: follows nothing, reads the code from the server's immediate redirect. */
export function followRedirect(fetchFn: FetchLike = fetch): Authorizer {
  return async (url) => {
    const res = await fetchFn(url, { redirect: "manual" });
    const location = res.headers.get("location");
    if (location === null) throw new AiosError("E_AUTH", `authorization at ${url.origin} did not redirect back (HTTP ${res.status}); it needs a person to approve`, { details: { url: url.href } });
    const back = new URL(location, url);
    const err = back.searchParams.get("error");
    if (err !== null) throw new AiosError("E_AUTH", `authorization refused: ${err} ${back.searchParams.get("error_description") ?? ""}`.trim(), { details: { url: url.href } });
    const sent = url.searchParams.get("state");
    if (sent !== null && back.searchParams.get("state") !== sent) throw new AiosError("E_AUTH", "authorization redirect carried a different state (possible CSRF); refused", { details: { url: url.href } });
    const code = back.searchParams.get("code");
    if (code === null) throw new AiosError("E_AUTH", "authorization redirect carried no code", { details: { url: url.href } });
    return code;
  };
}

/** An authorization-code client: in-memory registration, tokens and PKCE verifier. */
export class AuthorizationCodeClient implements OAuthClientProvider {
  private info: OAuthClientInformationMixed | undefined;
  private saved: OAuthTokens | undefined;
  private verifier: string | undefined;
  private code: string | undefined;
  readonly clientMetadataUrl?: string;

  constructor(private readonly o: McpOAuthOptions & { readonly authorize: Authorizer }) {
    if (o.clientId !== undefined) this.info = { client_id: o.clientId, ...(o.clientSecret === undefined ? {} : { client_secret: o.clientSecret }) };
    if (o.clientMetadataUrl !== undefined) this.clientMetadataUrl = o.clientMetadataUrl;
  }

  get redirectUrl(): string {
    return this.o.redirectUrl ?? DEFAULT_REDIRECT_URL;
  }

  get clientMetadata(): OAuthClientMetadata {
    // A CLI/daemon is a native application (SEP-837); `application_type` travels in registration.
    return { client_name: this.o.clientName ?? "aios", redirect_uris: [this.redirectUrl], grant_types: ["authorization_code", "refresh_token"], response_types: ["code"], ...{ application_type: "native" } };
  }

  state(): string {
    return randomBytes(16).toString("base64url");
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.info;
  }

  saveClientInformation(info: OAuthClientInformationMixed): void {
    this.info = info;
  }

  tokens(): OAuthTokens | undefined {
    return this.saved;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.saved = tokens;
  }

  async redirectToAuthorization(url: URL): Promise<void> {
    this.code = await this.o.authorize(url);
  }

  /** The code the last authorization produced (consumed once). */
  takeCode(): string {
    const c = this.code;
    this.code = undefined;
    if (c === undefined) throw new AiosError("E_AUTH", "no authorization code was obtained");
    return c;
  }

  saveCodeVerifier(v: string): void {
    this.verifier = v;
  }

  codeVerifier(): string {
    if (this.verifier === undefined) throw new AiosError("E_AUTH", "no PKCE code verifier saved");
    return this.verifier;
  }

  invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery"): void {
    if (scope === "all" || scope === "tokens") this.saved = undefined;
    if (scope === "all" || scope === "verifier") this.verifier = undefined;
    if ((scope === "all" || scope === "client") && this.o.clientId === undefined) this.info = undefined;
  }
}

const union = (a: string | undefined, b: string | undefined): string | undefined => {
  const s = new Set([...(a ?? "").split(" "), ...(b ?? "").split(" ")].filter((x) => x !== ""));
  return s.size === 0 ? undefined : [...s].join(" ");
};

/**
 * A fetch that authorizes with `client` when the server asks (401, or 403 insufficient_scope) and
 * retries the request once with the new token.
 */
export function authorizingFetch(client: AuthorizationCodeClient, serverUrl: string, base: FetchLike = fetch, scope?: string): FetchLike {
  const send = async (input: string | URL, init: RequestInit | undefined): Promise<Response> => {
    const headers = new Headers(init?.headers);
    const t = client.tokens();
    if (t !== undefined) headers.set("authorization", `Bearer ${t.access_token}`);
    return base(input, { ...init, headers });
  };
  return async (input, init) => {
    const first = await send(input, init);
    if (first.status !== 401 && first.status !== 403) return first;
    const { auth, extractWWWAuthenticateParams } = await mcpSdk();
    const challenge = extractWWWAuthenticateParams(first);
    if (first.status === 403 && challenge.error !== "insufficient_scope") return first;
    await first.body?.cancel();
    const ask = { serverUrl, fetchFn: base, ...(challenge.resourceMetadataUrl === undefined ? {} : { resourceMetadataUrl: challenge.resourceMetadataUrl }) };
    const wanted = union(client.tokens()?.scope, challenge.scope ?? (client.tokens() === undefined ? scope : undefined));
    const scoped = wanted === undefined ? ask : { ...ask, scope: wanted };
    if ((await auth(client, scoped)) === "REDIRECT") {
      if ((await auth(client, { ...scoped, authorizationCode: client.takeCode() })) !== "AUTHORIZED") throw new AiosError("E_AUTH", `authorization with ${serverUrl} did not complete`);
    }
    return send(input, init);
  };
}

/** What the Streamable HTTP transport takes to authorize with an MCP server's OAuth. */
export type McpHttpAuth = { readonly fetch: FetchLike } | { readonly authProvider: OAuthClientProvider };

/** Async because the SDK's providers load on first use (sdk.ts); a bad configuration rejects (E_INVALID_ARG). */
export async function mcpHttpAuth(serverUrl: string, o: McpOAuthOptions): Promise<McpHttpAuth> {
  if (o.grant === "client_credentials") {
    const { ClientCredentialsProvider, PrivateKeyJwtProvider } = await mcpSdk();
    const common = { clientName: o.clientName ?? "aios", ...(o.scope === undefined ? {} : { scope: o.scope }), ...(o.issuer === undefined ? {} : { expectedIssuer: o.issuer }) };
    if (o.clientId === undefined) throw new AiosError("E_INVALID_ARG", "oauth: client_credentials needs clientId", { details: { path: "oauth.clientId" } });
    if (o.privateKeyPem !== undefined) return { authProvider: new PrivateKeyJwtProvider({ clientId: o.clientId, privateKey: o.privateKeyPem, algorithm: o.signingAlgorithm ?? "ES256", ...common }) };
    if (o.clientSecret === undefined) throw new AiosError("E_INVALID_ARG", "oauth: client_credentials needs clientSecret or privateKeyPem", { details: { path: "oauth.clientSecret" } });
    return { authProvider: new ClientCredentialsProvider({ clientId: o.clientId, clientSecret: o.clientSecret, ...common }) };
  }
  const client = new AuthorizationCodeClient({ ...o, authorize: o.authorize ?? followRedirect() });
  return { fetch: authorizingFetch(client, serverUrl, fetch, o.scope) };
}
