/**
 * One owner per PostgreSQL store (the counterpart of dir-lock.ts): a session-level advisory lock on
 * (LOCK_CLASS, hashtext("store:<schema>")), held by a dedicated connection for as long as the
 * driver is open. PostgreSQL, not a pid, decides who holds it: when the holder dies (kill -9, a
 * lost network) its session ends and the lock goes with it, so a restart is never refused by a
 * stale owner. A second opener is refused with E_CONFLICT naming the holder's application_name
 * (pid and host, pg-pool.ts).
 *
 * The lock is lost if its connection is (server restart, network drop): `lost` turns true and the
 * driver refuses writes until `regain()` takes it again — which the driver allows only after
 * checking that nobody wrote in between (pg-driver.ts).
 */
import type pg from "pg";
import { AiosError } from "../core/index.js";
import { LOCK_CLASS } from "./pg-migrations.js";
import { guardClient, loadPg, pgClientConfig, type PgPoolOptions } from "./pg-pool.js";
import { toPgStoreError } from "./pg-errors.js";

export class PgStoreLock {
  private client: pg.Client | undefined;
  private released = false;
  /** True once the lock's connection ended without release(): another process may hold it now. */
  lost = false;

  private constructor(
    private readonly options: PgPoolOptions,
    private readonly key: string,
    private readonly location: string,
  ) {}

  static async acquire(options: PgPoolOptions, schema: string, location: string): Promise<PgStoreLock> {
    const lock = new PgStoreLock(options, `store:${schema}`, location);
    await lock.take();
    return lock;
  }

  private async take(): Promise<void> {
    const client = new (loadPg().Client)(pgClientConfig(this.options));
    const onLost = (): void => {
      if (this.client === client && !this.released) this.lost = true;
    };
    guardClient(client, (e) => {
      onLost();
      this.options.onError?.(e);
    });
    client.on("end", onLost);
    try {
      await client.connect();
      const r = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1, hashtext($2)) AS ok", [LOCK_CLASS, this.key]);
      if (r.rows[0]?.ok !== true) {
        const holder = await client.query<{ app: string | null; pid: number }>(
          `SELECT a.application_name AS app, a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.classid = $1::bigint::oid AND l.objid = (hashtext($2)::bigint & 4294967295)::oid AND l.granted LIMIT 1`,
          [LOCK_CLASS, this.key],
        );
        const h = holder.rows[0];
        throw new AiosError("E_CONFLICT", `${this.location} is in use by another AIOS (${h?.app ?? "unknown holder"}, backend pid ${h?.pid ?? "?"}); stop it first`, {
          details: { location: this.location, holder: h?.app ?? null },
        });
      }
    } catch (e) {
      await client.end().catch(() => undefined);
      throw toPgStoreError(e, "taking the store lock", this.location);
    }
    this.client = client;
    this.lost = false;
  }

  /** Takes the lock again on a new connection after it was lost. */
  async regain(): Promise<void> {
    const old = this.client;
    this.client = undefined;
    await old?.end().catch(() => undefined);
    await this.take();
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const c = this.client;
    this.client = undefined;
    // Ending the session releases every session-level advisory lock it holds.
    await c?.end().catch(() => undefined);
  }
}
