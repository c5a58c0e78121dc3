/**
 * The code agent (examples/specs/coder.yaml) end to end: the spec and examples/models.yaml
 * unchanged, in a copy of examples/ (its relative capabilities then grant the copy), the model a
 * scripted OpenAI-compatible server on loopback. Asserted on the real effects: the fixture's tests
 * ran under bubblewrap and their exit status and failing test are in the answer; the agent's write
 * into the repository was refused and the file is unchanged; the patch in its scratch dir is the
 * diff of the answer, `git apply --check` accepts it, and with it applied the tests pass.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSpecFile } from "../../src/abi/index.js";
import { FakeOpenAI } from "./fake-openai.js";
import { bootWithModelsFile, endpointEnv, EXAMPLES, withEnv } from "./helpers.js";
import { coder } from "./scripts.js";

const model = new FakeOpenAI(coder);
let restoreEnv: () => void = () => undefined;
let copy = "";
beforeAll(async () => {
  await model.start();
  restoreEnv = withEnv(endpointEnv(model.url));
  copy = mkdtempSync(join(tmpdir(), "aios-coder-"));
  // mkdtemp makes the dir 0700; run as root, the sandbox's host uid is unprivileged and must traverse it.
  chmodSync(copy, 0o755);
  for (const d of ["specs", "fixtures/slugify", "scratch"]) cpSync(join(EXAMPLES, d), join(copy, "examples", d), { recursive: true });
});
afterAll(async () => {
  restoreEnv();
  await model.stop();
  rmSync(copy, { recursive: true, force: true });
});

describe("examples/specs/coder.yaml", () => {
  it("runs the tests in the sandbox, cannot touch the repository, and proposes a patch that makes them pass", async () => {
    const repo = join(copy, "examples", "fixtures", "slugify");
    const scratch = join(copy, "examples", "scratch");
    const source = readFileSync(join(repo, "src", "slugify.js"), "utf8");
    const { os, done } = await bootWithModelsFile();
    try {
      const spec = await loadSpecFile(join(copy, "examples", "specs", "coder.yaml"));
      const answer = await os.run(spec, { goal: `Fix the failing test of the repository at ${repo}, scratch directory ${scratch}` });
      const seen = model.last();

      // The sandbox ran the real tests: node's TAP output, one failure, exit status 1.
      const run = JSON.parse(seen.results.find((r) => r.name === "shell.execute")!.content) as { exitCode: number; stdout: string; timedOut: boolean };
      expect(run.timedOut).toBe(false);
      expect(run.exitCode).toBe(1);
      expect(run.stdout).toMatch(/^not ok \d+ - collapses runs of punctuation and spaces into one dash$/m);
      expect(run.stdout).toMatch(/^# pass 3$/m);
      expect(answer.text).toContain("exit status 1, 1 failing: collapses runs of punctuation and spaces into one dash");

      // Its write into the repository was refused by its capabilities; the file is as it was.
      const writes = seen.results.filter((r) => r.name === "file.write");
      expect(JSON.parse(writes[0]!.content)).toMatchObject({ error: { code: "E_CAP_DENIED" } });
      expect(readFileSync(join(repo, "src", "slugify.js"), "utf8")).toBe(source);

      // The patch: in the scratch dir, the same as the answer's diff block, and it applies.
      const patchFile = join(scratch, "slugify.patch");
      const patch = readFileSync(patchFile, "utf8");
      expect(/```diff\n([\s\S]*?)```/.exec(answer.text)?.[1]).toBe(patch);
      execFileSync("git", ["apply", "--check", patchFile], { cwd: repo });
      const fixed = mkdtempSync(join(tmpdir(), "aios-coder-fixed-"));
      try {
        cpSync(repo, fixed, { recursive: true });
        execFileSync("git", ["apply", patchFile], { cwd: fixed });
        const after = spawnSync("node", ["--test", "test/"], { cwd: fixed, encoding: "utf8" });
        expect(after.stdout).toMatch(/^# fail 0$/m);
        expect(after.status).toBe(0);
      } finally {
        rmSync(fixed, { recursive: true, force: true });
      }
    } finally {
      await done();
    }
  });
});
