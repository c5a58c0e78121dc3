/**
 * Random identifiers drawn from the OS CSPRNG (crypto.randomFillSync) 4 KiB at a time. Every spawned
 * agent's spec grant takes three small random values (its key id, the block id and the nonce); a
 * randomBytes call per value cost more than the MAC that signs the block. Each byte of the pool is
 * handed out at most once, and a refill overwrites nothing that was handed out (new buffer), so the
 * values are exactly as unpredictable as separate randomBytes calls.
 */
import { randomFillSync } from "node:crypto";

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let at = 0;

function take(n: number): Buffer {
  if (n > POOL_BYTES) return randomFillSync(Buffer.alloc(n));
  if (at + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES));
    at = 0;
  }
  const out = pool.subarray(at, at + n);
  at += n;
  return out;
}

/** `n` random bytes as base64url. */
export function randomBase64url(n: number): string {
  return take(n).toString("base64url");
}

/** `n` random bytes as lowercase hex. */
export function randomHex(n: number): string {
  return take(n).toString("hex");
}
