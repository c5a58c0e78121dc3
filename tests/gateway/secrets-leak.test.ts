/**
 * A secret's value goes in and never comes out (issue #11.4): after values were set — one of them
 * parked for a person's approval by policy, others refused for a bad name or shape — no answer of
 * any route in the table, no error, no kernel event, no audit entry and no file in the data dir
 * holds a value in plain text.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROUTES } from "../../src/gateway/index.js";
import { fillPath, startTestGateway, type TestGateway } from "./harness.js";

let t: TestGateway;
const events: string[] = [];
const fresh = (): string => `v4lue-${randomBytes(12).toString("hex")}`;
const values = { plain: fresh(), parked: fresh(), badName: fresh(), extraKey: fresh(), replaced: fresh() };

beforeAll(async () => {
  t = await startTestGateway({
    subsystems: { security: { policy: { rules: [{ id: "ask-for-parked", effect: "approve", reason: "a person confirms parked secrets", when: { syscall: "SecretSet", args: { name: "PARKED_*" } } }] } } },
  });
  t.os.events.subscribe({}, (e) => void events.push(JSON.stringify(e)));
});
afterAll(async () => {
  await t.close();
});

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

const leaks = (text: string): string[] => Object.entries(values).filter(([, v]) => text.includes(v)).map(([k]) => k);

describe("secrets never come back", () => {
  it("keeps every value out of answers, errors, events, the audit log and the data dir", async () => {
    const answers: string[] = [];
    const put = async (name: string, body: unknown): Promise<number> => {
      const r = await t.call("PUT", `/v1/secrets/${name}`, body);
      answers.push(r.text);
      return r.status;
    };
    expect(await put("PLAIN", { value: values.replaced })).toBe(200);
    expect(await put("PLAIN", { value: values.plain })).toBe(200);
    expect(await put("9-bad-name", { value: values.badName })).toBe(400);
    expect(await put("EXTRA", { value: "long enough", note: values.extraKey })).toBe(400);
    expect(await put("EXTRA", { [values.extraKey]: 1 })).toBe(400);

    // Parked by policy: the approval request is listed while the value waits.
    const parked = t.os.events.once("approval.requested");
    const setting = t.call("PUT", "/v1/secrets/PARKED_KEY", { value: values.parked });
    await parked;
    const pending = await t.call("GET", "/v1/approvals?status=pending");
    answers.push(pending.text);
    expect(pending.text).toContain("[REDACTED:PARKED_KEY]"); // the request is listed, its value redacted
    const approval = (pending.json as { id: string; syscall: string }[])[0];
    expect(approval?.syscall).toBe("SecretSet");
    const decided = await t.call("POST", `/v1/approvals/${approval?.id ?? ""}/approve`, {});
    answers.push(decided.text);
    const done = await setting;
    answers.push(done.text);
    expect(done.json).toEqual({ name: "PARKED_KEY" });
    expect(await t.call("GET", "/v1/secrets")).toMatchObject({ json: { names: ["PARKED_KEY", "PLAIN"] } });

    // Every row of the table (params filled with a secret's name), the document and the metrics.
    for (const r of ROUTES) {
      if (r.method === "delete") continue; // keep the secrets: they are what is looked for below
      for (const name of ["PLAIN", "x"]) {
        const res = await t.call(r.method.toUpperCase(), fillPath(r.path, name), r.method === "get" ? undefined : {});
        answers.push(res.text);
      }
    }
    answers.push((await t.call("GET", "/openapi.json")).text, (await t.call("GET", "/metrics")).text);
    expect(answers.length).toBeGreaterThan(2 * (ROUTES.length - 1));
    for (const a of answers) expect(leaks(a), a.slice(0, 200)).toEqual([]);

    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(leaks(e), e).toEqual([]);

    t.os.audit.checkpoint();
    const audit = t.os.audit.entries({ limit: 100_000 });
    expect(audit.filter((e) => e.data["syscall"] === "SecretSet").map((e) => e.data["decision"])).toEqual(["allowed", "allowed", "approved"]);
    for (const e of audit) expect(leaks(JSON.stringify(e))).toEqual([]);

    // The store is sealed: not one file of the data dir (journal, audit, memory, secrets, WAL) has a value.
    const all = files(join(t.dir, "data"));
    expect(all.some((f) => f.endsWith("secrets.json"))).toBe(true);
    for (const f of all) expect(leaks(readFileSync(f).toString("latin1")), f).toEqual([]);
  });
});
