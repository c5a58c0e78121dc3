/**
 * A journal write whose connection is lost while its statement is out: the driver must answer by
 * what PostgreSQL actually did, never by the error alone (pg-write.ts). A loopback proxy between
 * the driver and the server drops the connection of the write statement at a chosen moment:
 * - after the server committed it (the reply is swallowed): `write` resolves, the rows are there,
 *   and the next batch with the following seqs goes in;
 * - while the statement is still running (a trigger holds it): its backend is ended, `write`
 *   rejects, nothing of it is stored, and the same seqs can be written again.
 */
import { createServer, connect, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAiosError } from "../../src/core/index.js";
import { PgDriver, toRow, type JournalRow } from "../../src/store/index.js";
import { usePostgres } from "../helpers/postgres.js";

const pg = usePostgres();

function rows(from: number, n: number): JournalRow[] {
  return Array.from({ length: n }, (_, i) => toRow(from + i, { t: "enqueue", id: `m${from + i}`, to: "a", payload: { i } }));
}

/** Forwards to the server; once armed, the connection that sends the write statement is cut. */
class CuttingProxy {
  private server: Server | undefined;
  port = 0;
  private armed: "after-reply" | "mid-statement" | undefined;
  cuts = 0;

  async start(target: number): Promise<void> {
    this.server = createServer((client: Socket) => {
      const upstream = connect(target, "127.0.0.1");
      let cutting = false;
      const cut = (): void => {
        this.cuts++;
        client.destroy();
        upstream.destroy();
      };
      client.on("data", (b: Buffer) => {
        if (this.armed !== undefined && !cutting && b.includes("aios-journal-write")) {
          cutting = true;
          const mode = this.armed;
          this.armed = undefined;
          // mid-statement: cut as soon as the statement is on its way; after-reply: let the
          // server run and commit it, swallow the reply, then cut.
          if (mode === "mid-statement") {
            upstream.write(b, () => setTimeout(cut, 200));
            return;
          }
          upstream.write(b);
          return;
        }
        upstream.write(b);
      });
      upstream.on("data", (b: Buffer) => {
        if (cutting) {
          // The server answered (CommandComplete + ReadyForQuery): it committed. Drop the reply.
          setTimeout(cut, 50);
          return;
        }
        client.write(b);
      });
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    const a = this.server.address();
    this.port = typeof a === "object" && a !== null ? a.port : 0;
  }

  arm(mode: "after-reply" | "mid-statement"): void {
    this.armed = mode;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const proxy = new CuttingProxy();
beforeAll(async () => proxy.start(pg().port));
afterAll(async () => proxy.stop());

async function store(): Promise<{ url: string; schema: string }> {
  const direct = await pg().createDatabase("outcome");
  const url = direct.replace(`:${pg().port}/`, `:${proxy.port}/`);
  return { url, schema: pg().uniqueName("s") };
}

describe("PgDriver: a write whose connection drops mid-flight", () => {
  it("resolves when the server committed it though the reply was lost", async () => {
    const s = await store();
    const d = await PgDriver.open(s);
    await d.write({ append: rows(1, 3) });
    proxy.arm("after-reply");
    const cutsBefore = proxy.cuts;
    await d.write({ append: rows(4, 3), meta: { high: "6" } });
    expect(proxy.cuts).toBe(cutsBefore + 1);
    expect((await d.read(1, 100)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await d.getMeta("high")).toBe("6");
    await d.write({ append: rows(7, 1) });
    expect((await d.bounds()).last).toBe(7);
    await d.close();
  });

  it("rejects when the statement had not committed, and leaves nothing of it", async () => {
    const s = await store();
    const d = await PgDriver.open(s);
    await d.write({ append: rows(1, 1) });
    // Hold every insert for a while, so the cut lands while the statement runs.
    const admin = new (await import("pg")).default.Client({ connectionString: s.url });
    await admin.connect();
    await admin.query(`CREATE FUNCTION ${s.schema}.hold() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(3); RETURN NEW; END $$`);
    await admin.query(`CREATE TRIGGER hold BEFORE INSERT ON ${s.schema}.journal FOR EACH STATEMENT EXECUTE FUNCTION ${s.schema}.hold()`);
    proxy.arm("mid-statement");
    const failed = await d.write({ append: rows(2, 2) }).then(() => undefined, (e: unknown) => e);
    expect(isAiosError(failed, "E_STORAGE")).toBe(true);
    expect((failed as Error).message).toContain("not committed");
    await admin.query(`DROP TRIGGER hold ON ${s.schema}.journal`);
    await admin.end();
    expect((await d.read(1, 100)).map((r) => r.seq)).toEqual([1]);
    await d.write({ append: rows(2, 2) });
    expect((await d.bounds()).last).toBe(3);
    await d.close();
  });
});
