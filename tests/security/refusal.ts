/**
 * What an attacker's attempt came to, as text a test can match: "allowed", or the AiosError's code
 * and message ("E_CAP_DENIED: ..."). Anything that is not an AiosError is rethrown: a refusal must
 * be a named error, never a crash.
 */
import { isAiosError } from "../../src/core/index.js";

export async function refusalOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isAiosError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  return "allowed";
}
