/**
 * The security subsystem as one object: identities (key store), token authority, capability checker,
 * policy engine with its approval queue, secrets with their redactor, and taint tracking. With a data
 * dir everything persistent lives under it (keys/, revoked.log, grants.db, secrets/), all 0600;
 * without one, everything is in memory (tests, ephemeral kernels).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AiosError, type AgentId, type Clock, type EventBus } from "../core/index.js";
import type { CapabilityRequest } from "../abi/index.js";
import { ApprovalQueue } from "./approvals.js";
import { TokenAuthority } from "./authority.js";
import { TokenCapabilityChecker, type CheckCaller } from "./checker.js";
import { GrantStore } from "./grant-store.js";
import { explainDecision, judgeTokens, type Explanation } from "./explain.js";
import { FileKeyStore, Identities, MemoryKeyStore, type KeyStore } from "./keystore.js";
import { RulePolicyEngine, type PolicyCaller } from "./policy.js";
import { RevocationList } from "./revocation.js";
import { SecretStore } from "./secrets.js";
import { TaintTracker } from "./taint.js";
import { TaintGuard, type TaintGuardOptions } from "./taint-guard.js";
import type { Scheme } from "./token.js";

export interface SecurityOptions {
  /** Persist keys, revocations, operator grants and secrets here; in memory when absent. */
  readonly dataDir?: string;
  /** Policy document (YAML text or object); `policyFile` reads one from disk. Default: allow all. */
  readonly policy?: string | object;
  readonly policyFile?: string;
  readonly rootAlg?: "ed25519" | "hybrid";
  readonly specGrants?: boolean;
  readonly specScheme?: Scheme;
  readonly specTtlMs?: number;
  readonly longLivedMs?: number;
  readonly trustedRoots?: readonly string[];
  readonly approvalTimeoutMs?: number;
  readonly keyStore?: KeyStore;
  /**
   * The default policy while an agent is tainted (taint-guard.ts): egress to a host not in
   * `allowHosts`, shell, spawn and secret slots are denied (`mode: "deny"`, the default), parked for
   * approval (`"approve"`) or left to the rules (`"off"`).
   */
  readonly taintGuard?: TaintGuardOptions;
  /** Tool-name prefixes whose results (and errors) taint with `mcp:<server>` (default ["mcp."]). */
  readonly mcpTools?: readonly string[];
  /** Called when an agent gains taint labels (default: emit `security.tainted` on `events`). */
  readonly onTaint?: (agent: AgentId, labels: string[], source: string) => void;
}

export class Security {
  readonly identities: Identities;
  readonly authority: TokenAuthority;
  readonly checker: TokenCapabilityChecker;
  readonly approvals: ApprovalQueue;
  readonly policy: RulePolicyEngine;
  readonly secrets: SecretStore;
  readonly taint: TaintTracker;
  readonly clock: Clock;

  constructor(
    o: SecurityOptions & { readonly clock: Clock; readonly events?: EventBus },
  ) {
    this.clock = o.clock;
    const store = o.keyStore ?? (o.dataDir === undefined ? new MemoryKeyStore() : new FileKeyStore(o.dataDir));
    this.identities = new Identities(store, o.clock);
    const revocations = new RevocationList(o.dataDir === undefined ? undefined : join(o.dataDir, "revoked.log"));
    this.authority = new TokenAuthority({
      identities: this.identities,
      revocations,
      clock: o.clock,
      ...(o.rootAlg === undefined ? {} : { rootAlg: o.rootAlg }),
      ...(o.longLivedMs === undefined ? {} : { longLivedMs: o.longLivedMs }),
    });
    this.checker = new TokenCapabilityChecker({
      authority: this.authority,
      clock: o.clock,
      ...(o.dataDir === undefined ? {} : { grantStore: openGrantStore(o.dataDir) }),
      ...(o.specGrants === undefined ? {} : { specGrants: o.specGrants }),
      ...(o.specScheme === undefined ? {} : { specScheme: o.specScheme }),
      ...(o.specTtlMs === undefined ? {} : { specTtlMs: o.specTtlMs }),
    });
    this.secrets = new SecretStore(o.dataDir === undefined ? {} : { dataDir: o.dataDir });
    const redact = (v: unknown): unknown => this.secrets.redactor.redact(v);
    this.approvals = new ApprovalQueue({ clock: o.clock, redact, ...(o.events === undefined ? {} : { events: o.events }), ...(o.approvalTimeoutMs === undefined ? {} : { defaultTimeoutMs: o.approvalTimeoutMs }) });
    this.policy = new RulePolicyEngine(loadPolicy(o), this.approvals, new TaintGuard(o.taintGuard));
    const events = o.events;
    const onTaint = o.onTaint ?? (events === undefined ? undefined : (agent: AgentId, labels: string[], source: string) => events.emit("security.tainted", { labels, source }, agent, "warn"));
    this.taint = new TaintTracker({
      ...(o.trustedRoots === undefined ? {} : { trustedRoots: o.trustedRoots }),
      ...(o.mcpTools === undefined ? {} : { mcpTools: o.mcpTools }),
      ...(onTaint === undefined ? {} : { onTaint }),
    });
  }

  /** Stored operator grants that could not be loaded at start (each names its row and field). */
  get grantProblems(): readonly AiosError[] {
    return this.checker.grants.problems;
  }

  /** Closes the grants database (the kernel's shutdown does this through the plugin). */
  close(): void {
    this.checker.grants.close();
  }

  get redactor(): SecretStore["redactor"] {
    return this.secrets.redactor;
  }

  /** Capability and policy verdict for a request, naming the deciding token or rule. */
  explain(caller: CheckCaller & PolicyCaller, req: CapabilityRequest, syscall = "ToolCall", args: unknown = {}): Explanation {
    checkExplainArgs(caller, req);
    const verdicts = judgeTokens(this.checker.tokens(caller), req, this.clock.now());
    const policy = this.policy.evaluate(caller, syscall, args, [req]);
    return explainDecision(caller.name, req, verdicts, policy);
  }
}

function openGrantStore(dataDir: string): GrantStore {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, "grants.db");
  const store = new GrantStore(path);
  // The database, its WAL and shared-memory files hold tokens: owner-only, like the key files.
  for (const f of [path, path + "-wal", path + "-shm"]) if (existsSync(f)) chmodSync(f, 0o600);
  return store;
}

function loadPolicy(o: SecurityOptions): string | object {
  if (o.policyFile !== undefined) {
    try {
      return readFileSync(o.policyFile, "utf8");
    } catch (e) {
      throw new AiosError("E_CONFIG", `policyFile: cannot read ${o.policyFile}`, { cause: e, details: { path: "policyFile" } });
    }
  }
  return o.policy ?? {};
}

/** explain() is reached from the SDK (`os.caps.explain`): a wrong shape is an error naming it. */
function checkExplainArgs(caller: unknown, req: unknown): void {
  const c = caller as Partial<CheckCaller & PolicyCaller> | null | undefined;
  if (typeof c !== "object" || c === null || typeof c.agent !== "string" || !Array.isArray(c.capabilities) || !(c.taint instanceof Set)) {
    throw new AiosError("E_INVALID_ARG", "caps.explain: caller: expected a door caller (agent, name, capabilities, taint), not an agent id or an info view; from the SDK use os.explain(agent, \"resource#action\")", { details: { path: "caller" } });
  }
  const r = req as Partial<CapabilityRequest> | null | undefined;
  if (typeof r !== "object" || r === null || typeof r.resource !== "string" || typeof r.action !== "string") {
    throw new AiosError("E_INVALID_ARG", "caps.explain: req: expected { resource, action } (e.g. { resource: \"file:/data/a\", action: \"read\" })", { details: { path: "req" } });
  }
}
