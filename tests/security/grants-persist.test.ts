/**
 * Operator grants survive a daemon restart: grant through the control plane (what `aios cap grant`
 * and POST /v1/caps/grant call), shut down, boot() the same data directory again — still granted;
 * revoke (also before the agent has run since the restart), restart — still revoked. Stored rows that
 * do not verify are reported naming the row and field, and boot goes on.
 */
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { boot, isAiosError, SimulatedClock, silentLogger, type AgentLogic, type Aios } from "../../src/index.js";
import { ControlPlane } from "../../src/gateway/index.js";

const idle: AgentLogic<null> = { init: () => null, receive: (s) => s };

function dataDir(): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), "aios-grants-")));
  for (const sub of ["a", "b"]) {
    mkdirSync(join(d, sub));
    writeFileSync(join(d, sub, "f.txt"), `in ${sub}`);
  }
  return d;
}

function start(d: string, clock?: SimulatedClock): Promise<Aios> {
  return boot({ dataDir: join(d, "aios"), durable: true, logger: silentLogger, logics: { idle }, subsystems: { embedder: false, memory: false }, ...(clock ? { clock } : {}) });
}

async function reads(os: Aios, agent: string, d: string, sub: string): Promise<boolean> {
  try {
    await os.syscall(agent, "ToolCall", { tool: "file.read", args: { path: join(d, sub, "f.txt") } });
    return true;
  } catch (e) {
    if (isAiosError(e, "E_CAP_DENIED")) return false;
    throw e;
  }
}

function rows(d: string): { id: string; revoked_at: number | null }[] {
  const db = new Database(join(d, "aios", "security", "grants.db"), { readonly: true });
  try {
    return db.prepare("SELECT id, revoked_at FROM grants ORDER BY granted_at, id").all() as { id: string; revoked_at: number | null }[];
  } finally {
    db.close();
  }
}

describe("operator grants across restarts", () => {
  it("a grant survives a restart; a revocation made after one survives the next", async () => {
    const d = dataDir();
    let os = await start(d);
    const agent = await os.spawn({ name: "reader", kind: "code", logic: "idle" });
    let cp = new ControlPlane(os);
    expect(await reads(os, agent, d, "a")).toBe(false);
    const call = await cp.grant(agent, "tool:file.read#call");
    const ga = await cp.grant(agent, `file:${d}/a/**#read`);
    const gb = await cp.grant(agent, `file:${d}/b/**#read`);
    expect(await reads(os, agent, d, "a")).toBe(true);
    cp.close();
    await os.shutdown();

    // Restart: the durable agent is back with its id, and so are its grants.
    os = await start(d);
    expect(os.status(agent).status).toBe("running");
    expect(os.caps.grantProblems).toEqual([]);
    expect(await reads(os, agent, d, "a")).toBe(true);
    expect(await reads(os, agent, d, "b")).toBe(true);
    cp = new ControlPlane(os);
    expect((await cp.caps(agent)).map((t) => t.id)).toEqual(expect.arrayContaining([call.id, ga.id, gb.id]));
    cp.close();
    await os.shutdown();

    // Restart, and revoke b before the agent has made a single call in this run.
    os = await start(d);
    cp = new ControlPlane(os);
    expect(await cp.revoke(gb.id)).toEqual({ revoked: 1 });
    expect(await reads(os, agent, d, "b")).toBe(false);
    expect(await reads(os, agent, d, "a")).toBe(true);
    cp.close();
    await os.shutdown();

    os = await start(d);
    expect(await reads(os, agent, d, "a")).toBe(true);
    expect(await reads(os, agent, d, "b")).toBe(false);
    await os.shutdown();
    const stored = rows(d);
    expect(stored.map((r) => r.id).sort()).toEqual([call.id, ga.id, gb.id].sort());
    expect(stored.filter((r) => r.revoked_at !== null).map((r) => r.id)).toEqual([gb.id]);
  });

  it("a revocation before the restart holds after it", async () => {
    const d = dataDir();
    let os = await start(d);
    const agent = await os.spawn({ name: "reader", kind: "code", logic: "idle" });
    const cp = new ControlPlane(os);
    await cp.grant(agent, "tool:file.read#call");
    const ga = await cp.grant(agent, `file:${d}/a/**#read`);
    expect(await reads(os, agent, d, "a")).toBe(true);
    await cp.revoke(ga.id);
    expect(await reads(os, agent, d, "a")).toBe(false);
    cp.close();
    await os.shutdown();
    os = await start(d);
    expect(await reads(os, agent, d, "a")).toBe(false);
    await os.shutdown();
  });

  it("stored rows that do not verify are reported by row and field; the good grants still count", async () => {
    const d = dataDir();
    let os = await start(d);
    const agent = await os.spawn({ name: "reader", kind: "code", logic: "idle" });
    const cp = new ControlPlane(os);
    const call = await cp.grant(agent, "tool:file.read#call");
    const ga = await cp.grant(agent, `file:${d}/a/**#read`);
    cp.close();
    await os.shutdown();

    const db = new Database(join(d, "aios", "security", "grants.db"));
    const tokenOf = (id: string): string => db.prepare("SELECT token FROM grants WHERE id = ?").pluck().get(id) as string;
    const insert = db.prepare("INSERT INTO grants (id, agent, token, exp, granted_at) VALUES (?, ?, ?, NULL, 1)");
    insert.run("cap_garbage", agent, "not a token");
    insert.run("cap_swapped", agent, tokenOf(ga.id)); // a real token filed under another id
    insert.run("", agent, tokenOf(ga.id)); // an empty id does not fit the row schema
    // A forged widening: the stored token claims more than was signed.
    const forged = JSON.parse(Buffer.from(tokenOf(ga.id).slice("aios1.".length), "base64url").toString()) as { blocks: { block: { caps: string[] } }[] };
    forged.blocks[0]!.block.caps = [`file:${d}/**#read`];
    db.prepare("UPDATE grants SET token = ? WHERE id = ?").run("aios1." + Buffer.from(JSON.stringify(forged)).toString("base64url"), ga.id);
    db.close();

    os = await start(d);
    const problems = os.caps.grantProblems;
    expect(problems.every((p) => isAiosError(p, "E_CORRUPT"))).toBe(true);
    const byGrant = new Map(problems.map((p) => [p.details["grant"], p]));
    expect([...byGrant.keys()].sort()).toEqual(["cap_garbage", "cap_swapped", ga.id, "rowid 5"].sort());
    expect(byGrant.get("cap_garbage")?.message).toMatch(/grant cap_garbage: token: .*not an aios1 capability token/);
    expect(byGrant.get("cap_swapped")?.message).toMatch(/grant cap_swapped: id: the token is /);
    expect(byGrant.get(ga.id)?.message).toMatch(/signature does not verify/);
    expect(byGrant.get("rowid 5")?.message).toMatch(/grant rowid 5: id: /);
    // The intact grant still counts; the forged one grants nothing (not even what was signed).
    expect((await new ControlPlane(os).caps(agent)).map((t) => t.id)).toContain(call.id);
    expect(await reads(os, agent, d, "a")).toBe(false);
    await os.shutdown();
    expect(rows(d)).toHaveLength(5); // bad rows are kept for a person to look at, not deleted
  });
  it("a grant that expired while the daemon was down is gone after the restart, row and all", async () => {
    const d = dataDir();
    const clock = new SimulatedClock();
    let os = await start(d, clock);
    const agent = await os.spawn({ name: "reader", kind: "code", logic: "idle" });
    const cp = new ControlPlane(os);
    const call = await cp.grant(agent, "tool:file.read#call");
    const short = await cp.grant(agent, `file:${d}/a/**#read`, 60_000);
    expect(await reads(os, agent, d, "a")).toBe(true);
    cp.close();
    await os.shutdown();
    clock.advance(60_000);
    os = await start(d, clock);
    expect(os.caps.grantProblems).toEqual([]);
    expect(await reads(os, agent, d, "a")).toBe(false);
    await os.shutdown();
    expect(rows(d).map((r) => r.id)).toEqual([call.id]);
    expect(short.exp).toBe(clock.now());
  });
});
