/**
 * The SDK facade's operator surface (issue #11.6), on a real data dir: os.audit.verify() checks the
 * log on disk and finds a rewritten entry; os.grant / os.revoke change what an agent may do at once;
 * os.secrets sets, lists and deletes, and offers no way to read a value back.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { boot, isAiosError, silentLogger } from "../../src/index.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), "aios-gaps-"));
  dirs.push(d);
  return d;
}
const idle = { receive: (s: null) => s };

describe("os.audit.verify()", () => {
  it("reports an intact log, and tampering after the log was rewritten on disk", async () => {
    const d = dir();
    const os = await boot({ dataDir: d, logger: silentLogger, subsystems: { embedder: false, memory: false } });
    const a = await os.spawn({ name: "a", kind: "code", logic: idle });
    await expect(os.callTool("file.read", { path: join(d, "none") }, { as: a })).rejects.toSatisfy((e: unknown) => isAiosError(e, "E_CAP_DENIED"));
    const good = os.audit.verify();
    expect(good.ok).toBe(true);
    expect(good.exitCode).toBe(0);
    expect(good.result?.entries).toBeGreaterThan(0);
    await os.shutdown();

    // Someone with write access to the data dir rewrites an entry.
    const db = new Database(join(d, "audit", "audit.db"));
    const row = db.prepare("SELECT seq FROM audit_entries WHERE body LIKE '%denied%' ORDER BY seq LIMIT 1").get() as { seq: number } | undefined;
    expect(row).toBeDefined();
    db.prepare("UPDATE audit_entries SET body = replace(body, '\"denied\"', '\"allowed\"') WHERE seq = ?").run(row?.seq);
    db.close();
    // The kernel opens the log (its tail is intact); verification walks the whole chain and finds it.
    const os2 = await boot({ dataDir: d, logger: silentLogger, subsystems: { embedder: false, memory: false } });
    const bad = os2.audit.verify();
    expect(bad.ok).toBe(false);
    expect(bad.exitCode).toBe(1);
    await os2.shutdown();
  });
});

describe("os.grant / os.revoke", () => {
  it("a grant lets an agent read a file at once; revoking it takes that away again", async () => {
    const d = dir();
    writeFileSync(join(d, "note.txt"), "granted");
    const os = await boot({ dataDir: join(d, "data"), logger: silentLogger, subsystems: { embedder: false, memory: false } });
    try {
      const a = await os.spawn({ name: "reader", kind: "code", logic: idle, tools: ["file.read"] });
      await expect(os.callTool("file.read", { path: join(d, "note.txt") }, { as: "reader" })).rejects.toSatisfy((e: unknown) => isAiosError(e, "E_CAP_DENIED"));
      // A seed-format string is accepted here too.
      const t = os.grant("reader", `file:${d}/*:read`, { ttlMs: 60_000 });
      expect(t.capabilities).toEqual([`file:${d}/*#read`]);
      expect(t.holder).toBe(a);
      expect(JSON.stringify(await os.callTool("file.read", { path: join(d, "note.txt") }, { as: a }))).toContain("granted");
      expect(os.revoke(t.id)).toBeGreaterThanOrEqual(1);
      await expect(os.callTool("file.read", { path: join(d, "note.txt") }, { as: a })).rejects.toSatisfy((e: unknown) => isAiosError(e, "E_CAP_DENIED"));
      expect(() => os.grant("reader", "everything")).toThrow(/os.grant: capability/);
      expect(() => os.grant("nobody", "file:/a#read")).toThrow(/os.grant: agent/);
    } finally {
      await os.shutdown();
    }
  });
});

describe("os.secrets", () => {
  it("sets, lists and deletes; the facade has no way to read a value", async () => {
    const os = await boot({ dataDir: dir(), logger: silentLogger, subsystems: { embedder: false, memory: false } });
    try {
      os.secrets.set("API_KEY", "sk-very-secret");
      expect(os.secrets.names()).toContain("API_KEY");
      expect(Object.keys(os.secrets).sort()).toEqual(["delete", "names", "set"]);
      expect(JSON.stringify(os.secrets)).not.toContain("sk-very-secret");
      expect(os.secrets.delete("API_KEY")).toBe(true);
      expect(os.secrets.names()).not.toContain("API_KEY");
      expect(() => os.secrets.set("", "x")).toThrow(/os.secrets.set: name/);
    } finally {
      await os.shutdown();
    }
  });
});
