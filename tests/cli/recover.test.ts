/**
 * Damage to the journal as an operator meets it (issues #17.3, #19.5), with real processes: a real
 * `aios up` daemon holding a durable counter is killed with SIGKILL (so the last commits live only
 * in the WAL), the WAL is deleted, and then:
 * - `aios up` refuses to start, naming the loss and `aios recover --accept-loss`;
 * - `aios recover` inspects, changes nothing and exits 1;
 * - `aios recover --accept-loss` keeps what verifies, sets the damaged files aside and writes an
 *   audit entry `store.loss_accepted` (the audit log still verifies);
 * - the next `aios up` starts and prints the accepted loss; `aios status` and GET /v1/store show
 *   it; the `store.recovered` event is in the event history.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { HttpControl } from "../../src/cli/client.js";
import { cli, startDaemon } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "aios-recover-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("aios recover", () => {
  it("up refuses a journal that lost acknowledged records; recover --accept-loss continues, audited and visible", async () => {
    const data = join(dir, "data");
    const g = ["--data-dir", data, "--json"];
    const d = await startDaemon(data);
    const run = await cli([...g, "run", "examples/specs/counter.yaml"]);
    expect(run.code).toBe(0);
    const counterId = (JSON.parse(run.stdout) as { id: string }).id;
    const api = new HttpControl(`http://127.0.0.1:${d.port}`, readFileSync(join(data, "api-token"), "utf8").trim());
    for (let seq = 1; seq <= 20; seq++) await api.send(counterId, { seq });
    d.proc.kill("SIGKILL");
    await d.exited;
    const wal = join(data, "journal", "aios.db-wal");
    expect(existsSync(wal)).toBe(true);
    unlinkSync(wal);
    rmSync(join(data, "daemon.json"), { force: true });

    const refused = await cli(["--data-dir", data, "up", "--port", "0"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/error: E_CORRUPT: journal damaged: lost \d+ acknowledged record\(s\), seq \d+\.\.\d+/);
    expect(refused.stderr).toContain("aios recover --accept-loss");

    const inspect = await cli(["--data-dir", data, "recover"]);
    expect(inspect.code).toBe(1);
    expect(inspect.stdout).toMatch(/lost \d+ acknowledged record\(s\)/);
    expect(inspect.stdout).toContain("nothing was changed");
    const stillRefused = await cli(["--data-dir", data, "up", "--port", "0"]);
    expect(stillRefused.code).toBe(1);

    const accept = await cli(["--data-dir", data, "recover", "--accept-loss"]);
    expect(accept.stderr).toBe("");
    expect(accept.code).toBe(0);
    expect(accept.stdout).toMatch(/LOSS ACCEPTED NOW at .*: \d+ acknowledged record\(s\)/);
    expect(accept.stdout).toContain("recorded in the audit log (store.loss_accepted)");
    expect(readdirSync(join(data, "journal")).some((f) => f.startsWith("aios.db.damaged-"))).toBe(true);
    const verify = await cli(["--data-dir", data, "audit", "verify"]);
    expect(verify.code).toBe(0);
    const adb = new Database(join(data, "audit", "audit.db"), { readonly: true });
    const hits = adb.prepare<[], { n: number }>("SELECT count(*) AS n FROM audit_entries WHERE body LIKE '%store.loss_accepted%'").get();
    adb.close();
    expect(hits?.n).toBe(1);

    const again = await startDaemon(data);
    try {
      expect(again.stderr()).toMatch(/store: loss accepted at .*: \d+ acknowledged record\(s\)/);
      const status = await cli([...g, "status"]);
      expect(status.code).toBe(0);
      const health = JSON.parse(status.stdout) as { lost?: { count: number }; acceptedNow: boolean };
      expect(health.lost?.count).toBeGreaterThan(0);
      expect(health.acceptedNow).toBe(false);
      const api2 = new HttpControl(`http://127.0.0.1:${again.port}`, readFileSync(join(data, "api-token"), "utf8").trim());
      expect((await api2.store()).lost?.count).toBe(health.lost?.count);
      const events = await api2.events({ types: ["store.recovered"] });
      expect(events).toHaveLength(1);
      expect(events[0]?.severity).toBe("warn");
    } finally {
      again.proc.kill("SIGTERM");
      await again.exited;
    }
  }, 180_000);
});
