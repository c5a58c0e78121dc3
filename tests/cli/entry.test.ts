/**
 * bin/entry.js decides which CLI `aios` runs (docs/adr/0025): dist/ when it is present and current,
 * the sources through tsx otherwise, AIOS_CLI forcing either. Checked on real trees in a temp dir
 * with real mtimes (utimesSync), and end to end: bin/aios.js says which it ran with AIOS_CLI_TRACE.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { chooseEntry } from "../../bin/entry.js";
import { VERSION } from "../../src/cli/version.js";

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A package root with the given files, each with an mtime in seconds. */
function tree(files: Record<string, number>): string {
  const root = mkdtempSync(join(tmpdir(), "aios-entry-"));
  roots.push(root);
  for (const [rel, mtime] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(join(p, ".."), { recursive: true });
    writeFileSync(p, "");
    utimesSync(p, mtime, mtime);
  }
  return root;
}

describe("chooseEntry", () => {
  it("runs dist/ when it is newer than every source file of a git checkout", () => {
    const root = tree({ ".git/HEAD": 1, "src/cli/main.ts": 1000, "src/a/deep/x.ts": 1500, "dist/cli/main.js": 2000 });
    expect(chooseEntry(root, undefined)).toMatchObject({ kind: "dist", why: "build is current" });
  });

  it("runs the sources when any source file (however deep) changed after the build", () => {
    const root = tree({ ".git/HEAD": 1, "src/cli/main.ts": 1000, "src/a/deep/x.ts": 2500, "dist/cli/main.js": 2000 });
    expect(chooseEntry(root, undefined)).toMatchObject({ kind: "src", why: expect.stringContaining("changed since the build") as unknown });
  });

  it("runs the sources when nothing is built, and dist/ when there are no sources", () => {
    expect(chooseEntry(tree({ "src/cli/main.ts": 1 }), undefined)).toMatchObject({ kind: "src", why: expect.stringContaining("no build") as unknown });
    expect(chooseEntry(tree({ "dist/cli/main.js": 1 }), undefined).kind).toBe("dist");
  });

  it("trusts an installed package's dist/ without walking src/ (no .git)", () => {
    const root = tree({ "src/cli/main.ts": 3000, "dist/cli/main.js": 2000 });
    expect(chooseEntry(root, undefined)).toMatchObject({ kind: "dist", why: "an installed package" });
  });

  it("obeys AIOS_CLI, and refuses a forced side that is missing or a value it does not know", () => {
    const root = tree({ ".git/HEAD": 1, "src/cli/main.ts": 3000, "dist/cli/main.js": 2000 });
    expect(chooseEntry(root, "dist").kind).toBe("dist");
    expect(chooseEntry(root, "src").kind).toBe("src");
    expect(() => chooseEntry(tree({ "src/cli/main.ts": 1 }), "dist")).toThrow(/AIOS_CLI=dist, but .*dist\/cli\/main\.js does not exist \(run npm run build\)/);
    expect(() => chooseEntry(root, "fast")).toThrow(/AIOS_CLI must be dist or src, not "fast"/);
    expect(() => chooseEntry(tree({ "README.md": 1 }), undefined)).toThrow(/reinstall the package/);
  });
});

describe("bin/aios.js", () => {
  it("runs the sources through tsx and says so with AIOS_CLI_TRACE", () => {
    const r = spawnSync(process.execPath, ["bin/aios.js", "--version"], { env: { ...process.env, AIOS_CLI: "src", AIOS_CLI_TRACE: "1" }, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
    expect(r.stderr).toMatch(/^aios: running src \(AIOS_CLI\): .*src\/cli\/main\.ts/);
  }, 20_000);

  it("exits 2 naming AIOS_CLI when it is wrong", () => {
    const r = spawnSync(process.execPath, ["bin/aios.js", "--version"], { env: { ...process.env, AIOS_CLI: "fast" }, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('error: E_CONFIG: AIOS_CLI must be dist or src, not "fast"\n');
  }, 20_000);
});
