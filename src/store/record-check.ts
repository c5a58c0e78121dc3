/**
 * The recovery-path validator for journal records: accepts and returns exactly what
 * `JournalRecordSchema` (records.ts) does — same records accepted, unknown keys stripped — in a
 * hand-written check with no per-field closures, because recovery runs it once per stored record
 * (a million records must verify in seconds). The append path validates nothing: the kernel builds
 * its records itself, and whatever it wrote is checked here when it is read back.
 *
 * Invariant (fast-check, tests/store/record-check.property.test.ts): for every input,
 * `checkRecord(x)` succeeds iff `JournalRecordSchema.safeParse(x)` does, with an equal result.
 */
import type { JournalRecord, RecordStatus } from "./records.js";

type Obj = Record<string, unknown>;
export type Checked = { readonly ok: true; readonly record: JournalRecord } | { readonly ok: false; readonly why: string };

const STATUSES: ReadonlySet<unknown> = new Set<RecordStatus>(["pending", "running", "paused", "completed", "failed", "killed"]);

/** The keys each record type may carry; anything else is stripped, as zod's object() does. */
const KEYS: Readonly<Record<JournalRecord["t"], ReadonlySet<string>>> = {
  spawn: new Set(["t", "agent", "spec", "parent", "status", "checkpoint", "callSeq"]),
  checkpoint: new Set(["t", "agent", "spec", "parent", "status", "checkpoint", "callSeq", "seen"]),
  transition: new Set(["t", "agent", "to", "op", "reason"]),
  enqueue: new Set(["t", "id", "to", "from", "payload", "key", "cause", "nth", "sent", "trace", "route"]),
  handled: new Set(["t", "agent", "msg", "checkpoint", "callSeq"]),
  intent: new Set(["t", "agent", "callSeq", "syscall", "args", "key"]),
  result: new Set(["t", "agent", "callSeq", "result", "error"]),
};

const isId = (v: unknown): boolean => typeof v === "string" && v.length > 0;
const isOptId = (v: unknown): boolean => v === undefined || isId(v);
const isOptString = (v: unknown): boolean => v === undefined || typeof v === "string";
const isOptIds = (v: unknown): boolean => v === undefined || (Array.isArray(v) && v.every(isId));
const isCallSeq = (v: unknown): boolean => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/** The first field of `o` (of record type `t`) that fails its type, or undefined when all pass. */
function badField(t: JournalRecord["t"], o: Obj): string | undefined {
  switch (t) {
    case "spawn":
    case "checkpoint":
      if (!isId(o["agent"])) return "agent";
      // zod: an unknown() key must be present, though its value may be undefined.
      if (o["spec"] === undefined && !("spec" in o)) return "spec";
      if (!isOptId(o["parent"])) return "parent";
      if (!STATUSES.has(o["status"])) return "status";
      if (!isCallSeq(o["callSeq"])) return "callSeq";
      return t === "spawn" || isOptIds(o["seen"]) ? undefined : "seen";
    case "transition":
      if (!isId(o["agent"])) return "agent";
      if (!STATUSES.has(o["to"])) return "to";
      if (typeof o["op"] !== "string") return "op";
      return isOptString(o["reason"]) ? undefined : "reason";
    case "enqueue":
      if (!isId(o["id"])) return "id";
      if (!isId(o["to"])) return "to";
      if (!isOptId(o["from"])) return "from";
      if (!isOptId(o["key"])) return "key";
      if (!isOptId(o["cause"])) return "cause";
      if (o["nth"] !== undefined && !isCallSeq(o["nth"])) return "nth";
      if (!isOptString(o["trace"])) return "trace";
      if (!isOptId(o["route"])) return "route";
      return o["sent"] === undefined || (Array.isArray(o["sent"]) && o["sent"].every(isCallSeq)) ? undefined : "sent";
    case "handled":
      if (!isId(o["agent"])) return "agent";
      if (!isOptId(o["msg"])) return "msg";
      return isCallSeq(o["callSeq"]) ? undefined : "callSeq";
    case "intent":
      if (!isId(o["agent"])) return "agent";
      if (!isCallSeq(o["callSeq"])) return "callSeq";
      if (typeof o["syscall"] !== "string") return "syscall";
      return isOptString(o["key"]) ? undefined : "key";
    case "result":
      if (!isId(o["agent"])) return "agent";
      return isCallSeq(o["callSeq"]) ? undefined : "callSeq";
  }
}

/** Checks a decoded JSON value against the record schema; never throws. */
export function checkRecord(raw: unknown): Checked {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { ok: false, why: "invalid record: not an object" };
  const o = raw as Obj;
  const t = o["t"];
  const keys = typeof t === "string" && Object.hasOwn(KEYS, t) ? KEYS[t as JournalRecord["t"]] : undefined;
  if (keys === undefined) return { ok: false, why: "invalid record: unknown record type" };
  const bad = badField(t as JournalRecord["t"], o);
  if (bad !== undefined) return { ok: false, why: `invalid record: field ${bad} has the wrong type` };
  let extra = false;
  for (const k in o) {
    if (!keys.has(k)) {
      extra = true;
      break;
    }
  }
  if (!extra) return { ok: true, record: o as JournalRecord };
  // Rare (never for records the kernel wrote): copy the known keys only.
  const copy: Obj = {};
  for (const k of Object.keys(o)) if (keys.has(k)) copy[k] = o[k];
  return { ok: true, record: copy as JournalRecord };
}
