/**
 * The CLI reads daemon.json and api-token by hand (src/cli/daemon-locator.ts, docs/adr/0025) while
 * gateway writes them: this holds the reader to the writer — what gateway writes, the CLI reads
 * back field for field; what gateway's schema refuses, the CLI refuses too; a dead pid is no daemon;
 * and a missing, empty or unreadable token file says why.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { DaemonInfoSchema, ensureApiToken, readDaemonInfo, writeDaemonInfo } from "../../src/gateway/index.js";
import { liveDaemon, readDaemonLocation, readToken } from "../../src/cli/daemon-locator.js";

const dir = mkdtempSync(join(tmpdir(), "aios-locator-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("daemon-locator against gateway's daemon-file", () => {
  it("reads back exactly what gateway writes, and finds this live process", () => {
    const info = { pid: process.pid, host: "127.0.0.1", port: 7878, dataDir: dir, startedAt: 1_700_000_000_000, version: "0.1.0" };
    writeDaemonInfo(dir, info);
    expect(readDaemonLocation(dir)).toEqual(readDaemonInfo(dir));
    expect(liveDaemon(dir)).toEqual(info);
  });

  it("agrees with gateway's schema on any JSON value in daemon.json", () => {
    const field = fc.oneof(fc.integer({ min: -5, max: 70_000 }), fc.double(), fc.string({ maxLength: 3 }), fc.constant(null), fc.boolean());
    const doc = fc.oneof(
      fc.record({ pid: field, host: field, port: field, dataDir: field, startedAt: field, version: field }, { requiredKeys: [] }),
      fc.record({ pid: fc.integer({ min: 1, max: 1e6 }), host: fc.string({ maxLength: 3 }), port: fc.integer({ min: 0, max: 70_000 }), dataDir: fc.string({ maxLength: 3 }), startedAt: fc.double({ noNaN: true }), version: fc.string({ maxLength: 3 }) }),
      fc.jsonValue(),
    );
    fc.assert(
      fc.property(doc, (raw) => {
        writeFileSync(join(dir, "daemon.json"), JSON.stringify(raw));
        const gw = DaemonInfoSchema.safeParse(JSON.parse(JSON.stringify(raw)));
        expect(readDaemonLocation(dir)).toEqual(gw.success ? gw.data : undefined);
      }),
      { numRuns: 300 },
    );
  });

  it("treats a file naming a dead pid, or no file, as no daemon", () => {
    writeDaemonInfo(dir, { pid: 2 ** 22 + 12345, host: "127.0.0.1", port: 1, dataDir: dir, startedAt: 0, version: "x" });
    expect(readDaemonLocation(dir)).toBeDefined();
    expect(liveDaemon(dir)).toBeUndefined();
    expect(liveDaemon(join(dir, "nowhere"))).toBeUndefined();
  });

  it("reads gateway's token, and says why there is none", () => {
    const d = join(dir, "tok");
    expect(readToken(d)).toMatchObject({ why: "it does not exist" });
    const token = ensureApiToken(d);
    expect(readToken(d)).toEqual({ token, path: join(d, "api-token") });
    writeFileSync(join(d, "api-token"), "  \n");
    expect(readToken(d)).toMatchObject({ why: "it is empty" });
    if (process.getuid?.() !== 0) {
      writeFileSync(join(d, "api-token"), "x\n");
      chmodSync(join(d, "api-token"), 0o000);
      expect(readToken(d)).toMatchObject({ why: "it is not readable by this user" });
    }
  });
});
