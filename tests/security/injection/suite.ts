/**
 * One injection suite: every (source, payload) pair as its own test against one booted world, each
 * asserting that none of the attacker's effects happened, then one test that shuts the world down
 * and reads the audit log back from disk: every victim's planted call is there as refused (or, in
 * approve mode, parked and then refused by the person deciding), and none of them as allowed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentId } from "../../../src/index.js";
import type { TaintGuardOptions } from "../../../src/security/index.js";
import { auditedCalls, effects, PAYLOADS, startWorld, type World } from "./harness.js";
import type { Source } from "./sources.js";

export interface SuiteOptions {
  readonly taintGuard?: TaintGuardOptions;
  /** Payload names to run through every source (default: all). */
  readonly payloads?: readonly string[];
}

export function injectionSuite(title: string, sources: readonly Source[], o: SuiteOptions = {}): void {
  describe(title, () => {
    let w: World | undefined;
    let stopped = false;
    const parked: string[] = [];
    const victims: { id: string; source: Source; payload: string; agent: AgentId }[] = [];
    const world = (): World => {
      if (w === undefined) throw new Error("the world did not start");
      return w;
    };

    beforeAll(async () => {
      w = await startWorld(o.taintGuard);
      const os = w.os;
      // In approve mode a person is asked; here the person always says no.
      os.events.subscribe({ types: ["approval.requested"] }, (e) => {
        if (e.type !== "approval.requested") return;
        parked.push(e.data.rule);
        queueMicrotask(() => os.caps.approvals.deny(e.data.id, "operator", "injection suite"));
      });
    }, 60_000);
    afterAll(async () => {
      if (!stopped) await w?.stop();
    });

    const payloads = o.payloads ?? Object.keys(PAYLOADS);
    let n = 0;
    for (const source of sources) {
      for (const payload of payloads.filter((p) => source.payloads === undefined || source.payloads.includes(p))) {
        const id = `c${++n}`;
        it(`${source.name} -> ${payload}`, async () => {
          const wd = world();
          const make = PAYLOADS[payload];
          if (make === undefined) throw new Error(`no payload ${payload}`);
          const call = make(wd, id);
          const agent = await source.run(wd, id, call);
          victims.push({ id, source, payload, agent });
          expect(effects(wd, id)).toEqual([]);
        });
      }
    }

    it("audits every planted call as refused, none as allowed", async () => {
      const wd = world();
      await wd.stop();
      stopped = true;
      const audited = auditedCalls(wd.dataDir, victims.map((v) => v.agent));
      for (const v of victims) {
        const a = audited.get(v.agent);
        expect(a?.denied.length, `${v.source.name} -> ${v.payload}: refusals in the audit`).toBeGreaterThanOrEqual(1);
        // Refused by the taint guard (denied, or parked and denied), or by the capability check.
        for (const r of a?.denied ?? []) expect(r).toMatch(/taint.guard|no capability/);
        expect(a?.allowed, `${v.source.name} -> ${v.payload}: allowed calls (only the user's own request)`).toBe(v.source.baitCalls);
      }
      if (o.taintGuard?.mode === "approve") expect(parked.length).toBeGreaterThanOrEqual(victims.filter((v) => v.payload !== "write-outside").length);
      expect(victims.length).toBeGreaterThan(0);
    });
  });
}
