/**
 * The kernel's starvation limits (issue 15 item 9), with their documented defaults:
 * - a message is refused at the send door when its payload is larger than `maxMessageBytes`
 *   (DESIGN's IPC limit, 64 KB), measured as an approximate JSON size that stops counting as soon as
 *   the limit is passed (a number, boolean or short string costs a typeof check);
 * - a full mailbox parks at most `maxParkedSenders` senders; the next is refused E_MAILBOX_FULL;
 * - an agent may have at most `maxChildren` children alive that it spawned itself;
 * - an agent's spawn may not take the tree it belongs to (from its topmost ancestor down) past
 *   `maxTreeAgents` agents alive, counting every agent the spawned spec brings (a supervisor's
 *   children): one supervisor spec of thousands of children, or children granted `agent#spawn`
 *   spawning children of their own, otherwise multiplied `maxChildren` without bound;
 * - an agent's spawn may not take its tenant past `maxTenantAgents` agents in the process table
 *   (the spawned spec's included): trees are roots the operator made, and many of them in one
 *   tenant, each grown to `maxTreeAgents`, would otherwise fill the heap for all tenants;
 * - the process table keeps the last `keepEnded` ended agents visible (ended.ts); older ones leave it.
 */
import { AiosError } from "../core/index.js";
import { isTerminal, type AgentStatus } from "../abi/index.js";

export interface KernelLimits {
  /** Largest message payload, bytes of JSON (default 65,536). */
  readonly maxMessageBytes: number;
  /** Senders waiting on one full mailbox (default 4,096: a burst of twice a default mailbox still parks). */
  readonly maxParkedSenders: number;
  /** Children alive per agent, spawned by the agent itself (default 1,024). */
  readonly maxChildren: number;
  /** Agents alive in one tree an agent's spawn may grow, the spawned spec's included (default 65,536). */
  readonly maxTreeAgents: number;
  /**
   * Agents of one tenant in the process table (ended ones it keeps included) an agent's spawn may
   * bring it to, the spawned spec's counted against the creator's tenant (default 262,144).
   */
  readonly maxTenantAgents: number;
  /** Ended (non-ephemeral) agents kept in the process table for ps, status and wait (default 1,024). */
  readonly keepEnded: number;
}

export const DEFAULT_LIMITS: KernelLimits = { maxMessageBytes: 64 * 1024, maxParkedSenders: 4096, maxChildren: 1024, maxTreeAgents: 65_536, maxTenantAgents: 262_144, keepEnded: 1024 };

/** The agents a spec brings (itself and its children, at every level), counted until it passes `limit`. */
export function specAgents(spec: unknown, limit: number): number {
  let n = 0;
  const stack: unknown[] = [spec];
  while (stack.length > 0 && n <= limit) {
    const s = stack.pop();
    n++;
    const kids = typeof s === "object" && s !== null ? (s as { children?: unknown }).children : undefined;
    if (Array.isArray(kids)) for (const c of kids as unknown[]) stack.push(c);
  }
  return n;
}

/** A tree of processes: the agents alive in it (`children` links down from `root`), counted until it passes `limit`. */
export function liveAgents(root: TreeNode, limit: number): number {
  let n = 0;
  const stack: TreeNode[] = [root];
  while (stack.length > 0 && n <= limit) {
    const p = stack.pop() as TreeNode;
    if (!isTerminal(p.status)) n++;
    const kids = p.children;
    if (kids !== null) for (const c of kids) stack.push(c);
  }
  return n;
}

/** What `liveAgents` reads of a process. */
export interface TreeNode {
  readonly status: AgentStatus;
  readonly children: readonly TreeNode[] | null;
}

/** Throws E_INVALID_ARG when `payload` is larger than `limit` bytes as JSON (approximately, from below). */
export function checkPayloadSize(payload: unknown, limit: number): void {
  const t = typeof payload;
  if (t !== "object" && t !== "string") return; // numbers, booleans, undefined: a few bytes
  if (t === "string" && (payload as string).length * 3 <= limit) return;
  const size = approxSize(payload, limit);
  if (size > limit) {
    throw new AiosError("E_INVALID_ARG", `payload: the message is larger than the ${limit}-byte message limit (at least ${size} bytes); send a reference (a memory record, a file) instead`, {
      details: { path: "payload", limit },
    });
  }
}

/** JSON-ish size, counted until it passes `limit` (then returned as is). Cycles count once. */
function approxSize(root: unknown, limit: number): number {
  let size = 0;
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  while (stack.length > 0 && size <= limit) {
    const v = stack.pop();
    if (typeof v === "string") size += Buffer.byteLength(v) + 2;
    else if (typeof v === "number" || typeof v === "bigint") size += 8;
    else if (typeof v === "boolean" || v === null || v === undefined) size += 4;
    else if (typeof v === "object") {
      if (seen.has(v)) continue;
      seen.add(v);
      if (ArrayBuffer.isView(v)) size += v.byteLength;
      else if (v instanceof ArrayBuffer) size += v.byteLength;
      else if (Array.isArray(v)) {
        size += 2 + v.length;
        for (const x of v as unknown[]) stack.push(x);
      } else {
        size += 2;
        for (const [k, x] of Object.entries(v)) {
          size += k.length + 4;
          stack.push(x);
        }
      }
    }
  }
  return size;
}
