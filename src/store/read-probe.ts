/**
 * Stepping over damage: after a read at `from` failed (a page SQLite cannot parse), find the
 * smallest seq past it whose read succeeds, by doubling the step and then bisecting. A zeroed page
 * then costs the rows on it, not the rest of the journal, and the cost is O(log n) reads even when
 * a whole interior page (thousands of rows) is gone.
 */
import { isAiosError } from "../core/index.js";
import type { StorageDriver } from "./driver.js";

async function readable(driver: StorageDriver, seq: number): Promise<boolean> {
  try {
    await driver.read(seq, 1);
    return true;
  } catch (e) {
    if (!isAiosError(e, "E_CORRUPT")) throw e;
    return false;
  }
}

/** The smallest seq in (from, ceiling] whose read succeeds, or undefined when none does. */
export async function firstReadable(driver: StorageDriver, from: number, ceiling: number): Promise<number | undefined> {
  let bad = from;
  let step = 1;
  let good: number | undefined;
  while (bad + step <= ceiling) {
    if (await readable(driver, bad + step)) {
      good = bad + step;
      break;
    }
    bad += step;
    step *= 2;
  }
  if (good === undefined) return (await readable(driver, ceiling)) && ceiling > from ? ceiling : undefined;
  // Invariant: read(bad) fails, read(hi) succeeds.
  let hi: number = good;
  while (hi - bad > 1) {
    const mid: number = bad + Math.floor((hi - bad) / 2);
    if (await readable(driver, mid)) hi = mid;
    else bad = mid;
  }
  return hi;
}
