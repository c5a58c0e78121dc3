/**
 * The rlimits a sandboxed command runs under. Its own file because both the bwrap command line
 * (bwrap-args.ts) and the launcher that applies the limits inside the sandbox (sandbox-launcher.ts)
 * need it, and the command line calls the launcher.
 */
export interface SandboxLimits {
  /** RLIMIT_CPU, seconds of CPU time. */
  readonly cpuSeconds: number;
  /** RLIMIT_NPROC, processes (counted per host uid: see shell-sandbox.ts). */
  readonly processes: number;
  /** RLIMIT_FSIZE, the largest file the command may write, bytes. */
  readonly fileSizeBytes: number;
  /** RLIMIT_NOFILE, open file descriptors. */
  readonly openFiles: number;
  /**
   * RLIMIT_AS, bytes of address space per process (absent: not limited; V8-based programs such as
   * an MCP server under node reserve far more address space than they use, so they go without).
   */
  readonly memoryBytes?: number;
  /** Size of each tmpfs (/tmp and the work dir), bytes (absent: the kernel's default, half of RAM). */
  readonly tmpfsBytes?: number;
}
