/**
 * Administrative writes of the fabric: shared-namespace grants and quota reservations
 * (AgentMemAlloc / AgentMemFree). Like every write they run in the fabric's write chain, and the
 * RAM state (access table, reservation) changes only after storage acknowledged the row.
 */
import { AiosError } from "../core/index.js";
import { parseScope, type Access } from "./access.js";
import type { FabricCore } from "./fabric-core.js";

/** Grants (or with null, revokes) an agent access to a shared namespace. */
export async function grant(f: FabricCore, namespace: string, agent: string, access: Access | null, tenant: string): Promise<void> {
  parseScope(`shared/${namespace}`, f.actor(), "namespace");
  await f.run(async () => {
    await f.storage.write([{ kind: "grant", tenant, namespace, agent, access }]);
    f.access.setGrant(tenant, namespace, agent, access);
  });
}

/** Reserves (alloc) or releases (free) bytes of an agent's quota; returns its reservation after. */
export async function reserve(f: FabricCore, agent: string, bytes: number, how: "alloc" | "free"): Promise<number> {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new AiosError("E_INVALID_ARG", "bytes: must be a non-negative integer", { details: { path: "bytes" } });
  return f.run(async () => {
    const total = how === "alloc" ? f.quotas.afterAlloc(agent, bytes) : f.quotas.afterFree(agent, bytes);
    await f.storage.write([{ kind: "reserve", agent, bytes: total }]);
    f.quotas.setReserved(agent, total);
    return total;
  });
}
