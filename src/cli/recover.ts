/**
 * `aios recover [--accept-loss]` (ADR 0012): what to do when `aios up` refuses a damaged journal.
 * Without --accept-loss it only inspects: it opens the journal as boot does (repairing damage that
 * cost nothing, changing nothing when acknowledged records are lost), prints what was found and
 * exits 0 when the store is whole, 1 when records are lost. With --accept-loss it boots the stack
 * once with the journal's `onLoss: "accept"` — every record that verifies is kept, the damaged files
 * are moved aside — writes an audit entry `store.loss_accepted` naming the loss and the operator,
 * and stops; the next `aios up` starts, and shows the accepted loss in its output and `aios status`.
 */
import { existsSync, rmSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { AiosError, isAiosError, silentLogger } from "../core/index.js";
import { createPgJournal, createSqliteJournal, type DurableJournal } from "../kernel/index.js";
import { readConfigFile } from "../sdk/index.js";
import { storageUrl } from "../store/index.js";
import type { CliContext } from "./context.js";
import { EXIT } from "./exit-codes.js";
import { bootHost, drainKernel } from "./kernel-host.js";
import { storeLines } from "./store-commands.js";

export interface RecoverOptions {
  readonly acceptLoss?: boolean;
}

/** Opens the journal alone, as boot does; the refusal (an AiosError naming the loss) or undefined. */
async function inspect(dataDir: string, journalDir: string): Promise<{ refused?: AiosError; lines: string[] }> {
  let journal: DurableJournal;
  // The driver config.yaml names (`storage:`), as boot chooses it.
  const storage = readConfigFile(dataDir).storage;
  try {
    journal = storage?.driver === "postgres"
      ? await createPgJournal({ url: storageUrl(storage), ...(storage.schema === undefined ? {} : { schema: storage.schema }) })
      : createSqliteJournal(journalDir);
  } catch (e) {
    if (isAiosError(e, "E_CORRUPT")) return { refused: e, lines: [] };
    throw e;
  }
  try {
    const state = await journal.recover();
    return { lines: [...state.report] };
  } catch (e) {
    if (isAiosError(e, "E_CORRUPT")) return { refused: e, lines: [] };
    throw e;
  } finally {
    await journal.close();
  }
}

export async function recover(ctx: CliContext, o: RecoverOptions): Promise<number> {
  const { dataDir, out } = ctx;
  const live = ctx.daemon();
  if (live !== undefined) {
    throw new AiosError("E_CONFLICT", `a daemon (pid ${live.pid}) serves ${dataDir}; stop it (SIGTERM) before recovering its store`, { retryable: false, details: { holderPid: live.pid } });
  }
  const journalDir = join(dataDir, "journal");
  const found = await inspect(dataDir, journalDir);
  if (found.refused === undefined) {
    for (const l of found.lines) out.line(l);
    out.line("nothing acknowledged is lost; `aios up` will start");
    return EXIT.OK;
  }
  out.line(found.refused.message);
  if (o.acceptLoss !== true) {
    out.line("nothing was changed. To continue without the records named above: aios recover --accept-loss");
    return EXIT.FAILED;
  }
  // A database file that vanished from an initialised directory: its marker stops the driver from
  // starting empty. The acknowledgement mark still names what was acknowledged, so the loss is
  // counted from it once the marker is out of the way.
  if (!existsSync(join(journalDir, "aios.db")) && existsSync(join(journalDir, "store.json"))) rmSync(join(journalDir, "store.json"));
  const os = await bootHost({ dataDir, acceptLoss: true, logger: silentLogger });
  try {
    const h = os.storeHealth;
    const operator = userInfo().username;
    os.audit.append({
      kind: "audit",
      agent: null,
      data: { event: "store.loss_accepted", by: operator, pid: process.pid, refusal: found.refused.message, ...(h?.lost === undefined ? {} : { lost: h.lost }) },
    });
    os.audit.checkpoint();
    for (const l of h === undefined ? [] : storeLines(h).lines) out.line(l);
    out.line(`loss accepted by ${operator}; recorded in the audit log (store.loss_accepted)`);
  } finally {
    await drainKernel(os, "aios recover");
  }
  return EXIT.OK;
}
