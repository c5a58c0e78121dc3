/**
 * The door's audit tallies (ADR 0019, 0034, 0043): a pure call (a model call, a pure tool) allowed
 * under a capability is one count in the interval's signed aggregate instead of an entry of its own.
 * Each agent keeps the tallies of the grants it uses, so finding one is a compare or two: the
 * capability cache hands back the same grant object while its decision holds.
 */
import type { AgentId } from "../core/index.js";
import { grantText, type AuditSink, type AuditTally, type Grant, type SyscallName } from "../abi/index.js";

/** A caller's tally for the door's aggregated calls of one syscall under one grant. */
export interface DoorTally {
  readonly name: SyscallName;
  readonly by: Grant;
  readonly audit: AuditSink;
  readonly tally: AuditTally;
}

/** Who keeps door tallies: an agent's process (null: none yet); undefined keeps none (an entry per call). */
export interface TallyKeeper {
  readonly agent: AgentId;
  doorTallies?: DoorTally[] | null;
}

/** Tallies a caller keeps (a grant per syscall it uses; beyond this the oldest is replaced). */
const DOOR_TALLIES = 4;

/** The same grant: usually the same object (a cached decision); a counted token's decision is made anew per call. */
function sameGrant(a: Grant, b: Grant): boolean {
  if (a === b) return true;
  if (a.kind === "token") return b.kind === "token" && a.token === b.token && a.capability === b.capability;
  return a.kind === "spec" && b.kind === "spec" && a.capability === b.capability;
}

/**
 * The audit tally for `caller`'s allowed calls of `name` under `by` in `audit`, or undefined when the
 * call is an entry of its own: no aggregating audit, a caller that keeps no tallies, or a grant that
 * is no capability (an operator's call, one that needed none).
 */
export function doorTally(caller: TallyKeeper, name: SyscallName, by: Grant, audit: AuditSink | undefined): AuditTally | undefined {
  const kept = caller.doorTallies;
  if (audit?.tally === undefined || kept === undefined || (by.kind !== "token" && by.kind !== "spec")) return undefined;
  if (kept !== null) {
    for (const t of kept) if (t.name === name && t.audit === audit && sameGrant(t.by, by)) return t.tally;
  }
  const tally = audit.tally(caller.agent, name, grantText(by), true);
  const entry: DoorTally = { name, by, audit, tally };
  if (kept === null) caller.doorTallies = [entry];
  else if (kept.length < DOOR_TALLIES) kept.push(entry);
  else {
    kept.shift();
    kept.push(entry);
  }
  return tally;
}
