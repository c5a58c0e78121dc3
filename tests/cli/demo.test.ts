/**
 * `aios demo` end to end, as a newcomer runs it: a real child process on a fresh temporary data dir;
 * it exits 0 and narrates each section with real ids and events (the durable section really SIGKILLs
 * a child kernel). The model section generates text when ../shared/models has the test model.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { cli } from "./helpers.js";

const hasModel = existsSync(resolve("../shared/models/stories260K.gguf"));
const hasBwrap = existsSync("/usr/bin/bwrap");

describe("aios demo", () => {
  it("runs every section and exits 0", async () => {
    const r = await cli(["demo"]);
    expect(r.stderr).not.toMatch(/^error:/m);
    expect(r.code).toBe(0);
    const out = r.stdout;
    const sections = ["1. A supervision tree", "2. Messaging: requests and replies", "3. A crash and its supervised restart", "4. Pause and resume", "5. A durable agent survives kill -9", "6. A capability denial, and the audit log", "7. A local model", "8. A plan through the market", "9. Memory search and a sandboxed tool"];
    let at = -1;
    for (const s of sections) {
      const i = out.indexOf(s);
      expect(i, s).toBeGreaterThan(at);
      at = i;
    }
    expect(out).toMatch(/└─ worker-3 ag_\S+ \[code\] running/);
    expect(out).toContain("{ask worker-2 to square 12}: {\"asked\"");
    expect(out).toMatch(/agent\.restarted .*"attempt":1/);
    expect(out).toMatch(/incarnation 0 -> 1/);
    expect(out).toMatch(/mailbox 3 message\(s\) waiting/);
    expect(out).toMatch(/notes handled in order: first, second, third/);
    expect(out).toMatch(/SIGKILLed the child kernel after \d+ acknowledged messages/);
    expect(out).toMatch(/all \d+ acknowledged messages were handled exactly once/);
    expect(out).toMatch(/E_CAP_DENIED: no capability token of snoop allows tool:file\.read#call/);
    expect(out).toMatch(/audit entry #\d+: .*"decision":"denied"/);
    expect(out).toContain("OK: intact");
    if (hasModel) expect(out).toMatch(/tokens generated locally/);
    else expect(out).toMatch(/skipped: .*stories260K\.gguf/);
    expect(out).toMatch(/market join\/0\s+bids bob@0\.1 ann@0\.2 cy@0\.15\s+-> bob refunded/);
    expect(out).toMatch(/market join\/0\/r1\s+bids ann@0\.2 cy@0\.15\s+-> cy settled \(paid 0\.15\)/);
    expect(out).toMatch(/critic vetoed bob's join\/0: score 0\.\d+ < 0\.85/);
    expect(out).toMatch(/ledger: \d+ transfers; debits posted [\d.]+ = credits posted [\d.]+, pending 0: balanced/);
    expect(out).toContain("one result vetoed and redone by another worker");
    expect(out).toMatch(/hybrid search: .*\n\s+mem_\S+ \[bm25 #\d+, vector #1 \(cosine [\d.]+\)\] Many lichen species die where sulphur dioxide is high/);
    if (hasBwrap) {
      expect(out).toMatch(/runs ls \/ in the sandbox: .*\busr\b.*\bwork\b/);
      expect(out).toMatch(/journal\/aios\.db: exit 1: .*No such file or directory/);
      expect(out).toMatch(/sh -c 'echo hi': E_CAP_DENIED: shell#exec: command "sh" is not in the allowed commands \[ls,cat\]$/m);
    } else expect(out).toMatch(/sandbox skipped: bubblewrap/);
    expect(out).toMatch(/demo finished in [\d.]+ s; temporary data dir removed/);
  }, 120_000);
});
