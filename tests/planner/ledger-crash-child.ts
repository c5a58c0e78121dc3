/**
 * The writer the crash test kills: opens the ledger file given in argv, then commits random
 * batches forever — pending reservations, full and partial posts, voids, linked chains of three,
 * plain transfers — and after each batch returns writes one line to stdout acknowledging the ids
 * the ledger committed. The parent SIGKILLs it at a random moment; everything acknowledged must
 * be there after reopening. argv: <path> <run id> <seed>.
 */
import { writeSync } from "node:fs";
import { RealClock, SeededRandom } from "../../src/core/index.js";
import { Ledger, type TransferInput } from "../../src/planner/index.js";

const [path, run, seed] = process.argv.slice(2) as [string, string, string];
const rng = new SeededRandom(Number(seed));
const int = (lo: number, hi: number): number => lo + Math.floor(rng.next() * (hi - lo + 1));
const ledger = new Ledger({ path, clock: new RealClock() });
const WALLETS = ["w0", "w1", "w2", "w3", "w4"];
ledger.createAccounts([{ id: "bank", ledger: "L", code: 1 }, ...WALLETS.map((id) => ({ id, ledger: "L", code: 1, flags: { debitsMustNotExceedCredits: true } }))]);
ledger.createTransfers(WALLETS.map((w) => ({ id: `fund-${w}`, debitAccountId: "bank", creditAccountId: w, amount: 1_000_000n, ledger: "L", code: 1 })));

const open: string[] = ledger.pendings().filter((p) => p.state === "pending").map((p) => p.id);
let n = 0;
const next = (): string => `${run}-${n++}`;
const pair = (): [string, string] => {
  const a = int(0, WALLETS.length - 1);
  return [WALLETS[a] as string, WALLETS[(a + int(1, WALLETS.length - 1)) % WALLETS.length] as string];
};

for (;;) {
  const batch: TransferInput[] = [];
  const size = int(1, 4);
  for (let k = 0; k < size; k++) {
    const roll = int(0, 9);
    const [dr, cr] = pair();
    if (roll < 4) {
      const id = next();
      batch.push({ id, debitAccountId: dr, creditAccountId: cr, amount: BigInt(int(1, 5000)), ledger: "L", code: 1, flags: { pending: true } });
      open.push(id);
    } else if (roll < 7 && open.length > 0) {
      const p = open.splice(int(0, open.length - 1), 1)[0] as string;
      const partial = int(0, 1) === 0;
      batch.push(int(0, 2) === 0 ? { id: next(), pendingId: p, flags: { voidPending: true } } : { id: next(), pendingId: p, flags: { postPending: true }, ...(partial ? { amount: 1n } : {}) });
    } else if (roll < 9) {
      const chain = next();
      for (let m = 0; m < 3; m++) {
        const [d, c] = pair();
        batch.push({ id: `${chain}.${m}`, debitAccountId: d, creditAccountId: c, amount: BigInt(int(1, 400_000)), ledger: "L", code: 1, flags: { linked: m < 2 }, userData: `chain:${chain}` });
      }
    } else {
      batch.push({ id: next(), debitAccountId: dr, creditAccountId: cr, amount: BigInt(int(1, 5000)), ledger: "L", code: 1 });
    }
  }
  const results = ledger.createTransfers(batch);
  const acked = results.filter((r) => r.status !== "failed").map((r) => r.id);
  // A pending transfer that failed (exceeds_credits) never existed: forget it.
  for (const r of results) if (r.status === "failed") {
    const i = open.indexOf(r.id);
    if (i >= 0) open.splice(i, 1);
  }
  ack(`${JSON.stringify(acked)}\n`);
}

/**
 * Writes an acknowledgement synchronously (it must be out before the next batch starts, or a kill
 * could lose an ack the ledger already holds). stdout is a non-blocking pipe: when the parent is
 * slow to read, the write fails with EAGAIN or writes part of the line, so wait briefly and go on.
 */
function ack(line: string): void {
  let rest = Buffer.from(line);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (rest.length > 0) {
    try {
      rest = rest.subarray(writeSync(1, rest));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}
