/**
 * Suites whose sections bench/index.ts runs in separate child processes (each section is what the
 * suite's `--only=` accepts). Kept apart from the suites so the parent reads it without loading them.
 */
export const SECTIONS: Readonly<Record<string, readonly string[]>> = {
  kernel: ["spawn", "msg", "latency", "stack", "stack-latency", "syscall"],
  "sdk-path": ["spawn", "send"],
};
