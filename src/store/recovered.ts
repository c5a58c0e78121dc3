/**
 * What recovery hands the kernel for one agent the journal's state holds: the agent (spec, status,
 * call sequence, parent, checkpoint, handled keys) and its unhandled mail in enqueue order. Shared
 * by the single-node journal adapter and a cluster node's per-lease streams, so both give the
 * kernel the same shape from the same fold.
 */
import type { AgentId, MessageId } from "../core/index.js";
import type { RecoveredAgent, StoredMessage } from "../abi/index.js";
import type { AgentEntry } from "./state.js";

export function recoveredAgent(a: AgentEntry): { readonly agent: RecoveredAgent; readonly mail: StoredMessage[] } {
  const id = a.agent as AgentId;
  const agent: RecoveredAgent = {
    id, spec: a.spec, status: a.status, callSeq: a.callSeq,
    ...(a.parent === undefined ? {} : { parent: a.parent as AgentId }),
    ...(a.checkpoint === undefined ? {} : { checkpoint: a.checkpoint }),
    ...(a.seen === undefined ? {} : { seen: [...a.seen] }),
  };
  const mail = [...a.mailbox.values()].map((m): StoredMessage => ({
    id: m.id as MessageId, to: id, payload: m.payload,
    ...(m.from === undefined ? {} : { from: m.from as AgentId }),
    ...(m.key === undefined ? {} : { key: m.key }),
    ...(m.trace === undefined ? {} : { trace: m.trace }),
    ...(m.route === undefined ? {} : { route: m.route }),
  }));
  return { agent, mail };
}
