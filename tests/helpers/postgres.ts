/**
 * The PostgreSQL test server for vitest files: `usePostgres()` starts one server per test file
 * (postgres-server.ts) in beforeAll and disposes of it in afterAll. Re-exports the server API.
 */
import { afterAll, beforeAll } from "vitest";
import { startPostgres, type PgServer, type StartOptions } from "./postgres-server.js";

export { startPostgres, type PgServer, type StartOptions } from "./postgres-server.js";

/**
 * One server for the calling test file: started in beforeAll, disposed in afterAll. Returns a
 * getter (the server exists only once beforeAll ran).
 */
export function usePostgres(options: StartOptions = {}): () => PgServer {
  let server: PgServer | undefined;
  beforeAll(async () => {
    server = await startPostgres(options);
  }, 60_000);
  afterAll(async () => {
    await server?.dispose();
    server = undefined;
  }, 30_000);
  return () => {
    if (server === undefined) throw new Error("usePostgres(): the server is available only inside tests (after beforeAll)");
    return server;
  };
}
