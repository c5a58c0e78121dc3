import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The files that take longest, longest first: they start first, so the workers end together instead
 * of one running a long file alone at the end. Vitest orders the rest (by the durations it cached
 * from an earlier run, else by file size); a clean clone, as in CI, has no cache. A file missing
 * here only costs a less even end, never a test.
 */
const SLOW_FIRST = [
  "tests/store/crash.test.ts",
  "tests/planner/ledger-crash.test.ts",
  "tests/dashboard/dashboard.browser.test.ts",
  "tests/planner/ledger-conservation.test.ts",
  "tests/sdk/package-import.test.ts",
  "tests/cluster/fault-suite.test.ts",
  "tests/security/path-race.test.ts",
  "tests/cli/cli.test.ts",
  "tests/interop/mcp-conformance.test.ts",
  "tests/cli/recover.test.ts",
  "tests/cli/cluster-cli.test.ts",
  "tests/store/output-commit.test.ts",
  "tests/cli/mcp-cli.test.ts",
  "tests/cli/planner-cli.test.ts",
  "tests/observe/plan-resume-trace.test.ts",
  "tests/cluster/fault-schedule.test.ts",
  "tests/cli/run-upgrade.test.ts",
  "tests/cli/os-commands.test.ts",
  "tests/cli/up-otlp.test.ts",
  "tests/memory/lexical-worker.test.ts",
  "tests/ipc/durable-dedup.test.ts",
];

class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification): number => {
      const i = SLOW_FIRST.findIndex((s) => f.moduleId.endsWith(`/${s}`));
      return i < 0 ? SLOW_FIRST.length : i;
    };
    return [...sorted].sort((a, b) => rank(a) - rank(b)); // stable: the rest keep vitest's order
  }
}

// Two test files at a time: vitest's default is one fewer than the cores (one on a 2-core machine),
// and most files spend their time waiting on child processes, servers and fsync, not on a core.
// AIOS_TEST_WORKERS overrides (1 runs the files one after another).
const workers = Number(process.env["AIOS_TEST_WORKERS"] ?? 2);

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    maxWorkers: workers,
    minWorkers: 1,
    sequence: { sequencer: SlowFirst },
    reporters: ["default", "./tests/reporters/summary.ts"],
  },
});
