/**
 * Who may see and change what. Scopes: `agent` — only the owning agent; `shared/<ns>` — agents
 * holding an explicit grant on the namespace (or, under the kernel, a capability the `sharedAccess`
 * hook consults); `global` — every agent of the tenant. Nothing crosses tenants. An unreadable
 * record is indistinguishable from a missing one (E_NOT_FOUND), so access checks leak nothing.
 */
import { AiosError } from "../core/index.js";
import type { RecordMeta, Scope } from "./record.js";
import type { GrantRow } from "./storage.js";

export interface Actor {
  readonly agent: string;
  readonly tenant: string;
}

export type Access = "read" | "write";
/** Consulted for shared and global scopes (e.g. the kernel's capability checker); undefined = no opinion. */
export type ScopeAccessHook = (actor: Actor, scope: Scope, action: Access) => boolean | undefined;

const NS = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Parses "agent" | "global" | "shared/<ns>" (default "agent") into a Scope for this actor. */
export function parseScope(raw: string | undefined, actor: Actor, path = "scope"): Scope {
  if (raw === undefined || raw === "agent") return { kind: "agent", namespace: actor.agent };
  if (raw === "global") return { kind: "global", namespace: "global" };
  if (raw.startsWith("shared/")) {
    const ns = raw.slice("shared/".length);
    if (NS.test(ns)) return { kind: "shared", namespace: ns };
  }
  throw new AiosError("E_INVALID_ARG", `${path}: "${raw}" is not a scope (agent | global | shared/<namespace>)`, { details: { path } });
}

/** The capability resource guarding a scope: memory:agent/<id>, memory:shared/<ns>, memory:global. */
export function scopeResource(scope: Scope): string {
  return scope.kind === "global" ? "memory:global" : `memory:${scope.kind}/${scope.namespace}`;
}

export class AccessControl {
  private readonly grants = new Map<string, Map<string, Access>>();

  constructor(private readonly hook?: ScopeAccessHook) {}

  load(rows: readonly GrantRow[]): void {
    for (const g of rows) this.setGrant(g.tenant, g.namespace, g.agent, g.access);
  }

  setGrant(tenant: string, namespace: string, agent: string, access: Access | null): void {
    const key = `${tenant}\u0000${namespace}`;
    let m = this.grants.get(key);
    if (m === undefined) this.grants.set(key, (m = new Map<string, Access>()));
    if (access === null) m.delete(agent);
    else m.set(agent, access);
  }

  /** The explicit grants on a tenant's shared namespaces (one namespace, or all), sorted. */
  list(tenant: string, namespace?: string): GrantRow[] {
    const out: GrantRow[] = [];
    for (const [key, m] of this.grants) {
      const [t, ns] = key.split("\u0000") as [string, string];
      if (t !== tenant || (namespace !== undefined && ns !== namespace)) continue;
      for (const [agent, access] of m) out.push({ tenant: t, namespace: ns, agent, access });
    }
    return out.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.agent.localeCompare(b.agent));
  }

  shared(actor: Actor, namespace: string, action: Access): boolean {
    const g = this.grants.get(`${actor.tenant}\u0000${namespace}`)?.get(actor.agent);
    if (g === "write" || (g === "read" && action === "read")) return true;
    return this.hook?.(actor, { kind: "shared", namespace }, action) === true;
  }

  can(actor: Actor, tenant: string, scope: Scope, action: Access): boolean {
    if (tenant !== actor.tenant) return false;
    switch (scope.kind) {
      case "agent":
        return scope.namespace === actor.agent;
      case "global":
        // Every agent of the tenant, unless a hook (the kernel's capabilities) says otherwise.
        return this.hook?.(actor, scope, action) ?? true;
      case "shared":
        return this.shared(actor, scope.namespace, action);
    }
  }

  canRead(actor: Actor, m: RecordMeta): boolean {
    return this.can(actor, m.tenant, { kind: m.scope, namespace: m.namespace }, "read");
  }

  /** Throws E_CAP_DENIED naming the scope when `actor` may not `action` it. */
  require(actor: Actor, scope: Scope, action: Access): void {
    if (!this.can(actor, actor.tenant, scope, action)) {
      throw new AiosError("E_CAP_DENIED", `agent ${actor.agent} may not ${action} ${scopeResource(scope)}`, { details: { path: "scope", resource: scopeResource(scope), action } });
    }
  }
}
