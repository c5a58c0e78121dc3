/**
 * The door's audit tallies (ADR 0019, 0034, 0043): a pure call (a model call, a pure tool) allowed
 * under a capability is one count in the interval's signed aggregate instead of an entry of its own.
 * Each agent keeps the tallies of the grants it uses, so finding one is a compare or two: the
 * capability cache hands back the same grant object while its decision holds.
 */
import type { AgentId } from "../core/index.js";
import { grantText, type AuditSink, type AuditTally, type Grant, type SyscallName, type TallyCounts } from "../abi/index.js";

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

/** An ending agent's tallies: its door tallies and its send tally, whose counts it keeps itself. */
export interface EndingKeeper extends TallyCounts {
  readonly doorTallies: DoorTally[] | null;
  sendTally: AuditTally | undefined;
}

/**
 * The agent ended: the send counts it kept move into their tally (which then no longer holds the
 * agent's process), and every tally it used is retired, so the audit forgets it once its counts are
 * written instead of keeping one per ended agent until its cache bound (a service running a short
 * agent per request kept tens of thousands, each holding an ended process until the next flush).
 */
export function retireTallies(p: EndingKeeper, audit: AuditSink | undefined): void {
  if (audit?.retire === undefined) return;
  const send = p.sendTally;
  if (send !== undefined) {
    audit.release?.(send, p);
    audit.retire(send);
    p.sendTally = undefined;
  }
  const door = p.doorTallies;
  if (door !== null) for (const t of door) if (t.audit === audit) audit.retire(t.tally);
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
