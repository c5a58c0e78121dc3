/**
 * The harness's handle on one fault-node.ts process: starts it (and starts it again after a kill,
 * under the same node name), sends it commands with a deadline (a paused or cut-off node simply does
 * not answer: the command is then unacknowledged), pauses and resumes it, and reports its lease
 * changes with the harness's receive time.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export interface LeaseEvent {
  readonly node: string;
  readonly tree: string;
  readonly epoch: number;
  readonly change: string;
  /** performance.now() of the harness when the line arrived. */
  readonly at: number;
}

export interface NodeConfig {
  readonly cluster: string;
  readonly node: string;
  readonly postgres: string;
  readonly nats: string;
  readonly sink: string;
  readonly secret: string;
  readonly ttlMs: number;
  readonly heartbeatMs: number;
}

const SCRIPT = "tests/cluster/fault/fault-node.ts";

interface Answer {
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: { readonly code: string; readonly message: string };
}

export class NodeProc {
  private proc: ChildProcess | undefined;
  /** Every process started under this name that has not exited (kill9 leaves none behind). */
  private readonly live = new Set<ChildProcess>();
  private rid = 0;
  private readonly waiting = new Map<number, (a: Answer) => void>();
  private stderr = "";
  paused = false;
  /** Between a start and its join: a fault aimed at the node waits for the next one. */
  starting = false;

  constructor(
    readonly config: NodeConfig,
    private readonly onLease: (e: LeaseEvent) => void,
    /** The network namespace the node runs in (netns.ts), if any. */
    private readonly netns?: string,
  ) {}

  get name(): string {
    return this.config.node;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Starts the process and resolves once it joined the cluster. */
  async start(timeoutMs = 90_000): Promise<void> {
    this.starting = true;
    try {
      await this.launch(timeoutMs);
    } finally {
      this.starting = false;
    }
  }

  private launch(timeoutMs: number): Promise<void> {
    const args = ["--import", "tsx", SCRIPT, JSON.stringify(this.config)];
    // `ip netns exec` enters the namespace and execs node: the child's pid is the node's (kill -9, SIGSTOP).
    const proc =
      this.netns === undefined
        ? spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"] })
        : spawn("ip", ["netns", "exec", this.netns, process.execPath, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    this.proc = proc;
    this.live.add(proc);
    proc.once("exit", () => this.live.delete(proc));
    this.paused = false;
    proc.stderr?.on("data", (b: Buffer) => {
      if (this.stderr.length < 20_000) this.stderr += b.toString();
    });
    proc.stdin?.on("error", () => undefined); // a killed child's pipe
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not join within ${timeoutMs} ms: ${this.stderr}`)), timeoutMs);
      createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on("line", (line) => {
        let m: { ev?: string; rid?: number; tree?: string; epoch?: number; change?: string } & Answer;
        try {
          m = JSON.parse(line) as typeof m;
        } catch {
          return;
        }
        if (m.ev === "ready") {
          clearTimeout(timer);
          resolve();
        } else if (m.ev === "lease" && m.tree !== undefined && m.epoch !== undefined && m.change !== undefined) {
          this.onLease({ node: this.name, tree: m.tree, epoch: m.epoch, change: m.change, at: performance.now() });
        } else if (m.rid !== undefined) {
          this.waiting.get(m.rid)?.(m);
          this.waiting.delete(m.rid);
        }
      });
      proc.once("exit", (code, signal) => {
        clearTimeout(timer);
        for (const [, done] of this.waiting) done({ ok: false, error: { code: "E_EXITED", message: `exited (${String(code ?? signal)})` } });
        this.waiting.clear();
        reject(new Error(`${this.name} exited (${String(code ?? signal)}) before joining: ${this.stderr}`));
      });
    });
  }

  /** Sends a command; an answer that does not come within `timeoutMs` is a timeout (unacknowledged). */
  call(cmd: Record<string, unknown>, timeoutMs: number): Promise<Answer> {
    const proc = this.proc;
    if (!this.running || proc === undefined) return Promise.resolve({ ok: false, error: { code: "E_DOWN", message: `${this.name} is down` } });
    const rid = ++this.rid;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(rid);
        resolve({ ok: false, error: { code: "E_TIMEOUT", message: `${this.name} did not answer within ${timeoutMs} ms` } });
      }, timeoutMs);
      this.waiting.set(rid, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
      proc.stdin?.write(`${JSON.stringify({ rid, ...cmd })}\n`);
    });
  }

  signal(sig: "SIGKILL" | "SIGSTOP" | "SIGCONT"): void {
    if (!this.running) return;
    this.proc?.kill(sig);
    if (sig === "SIGSTOP") this.paused = true;
    if (sig === "SIGCONT") this.paused = false;
  }

  /**
   * kill -9 and wait until the process is gone — every process started under this name, not only the
   * last: the soak once found a node of a finished schedule still running minutes later.
   */
  async kill9(): Promise<void> {
    const gone = [...this.live].map((proc) => {
      const exited = new Promise<void>((r) => proc.once("exit", () => r()));
      proc.kill("SIGKILL");
      return exited;
    });
    await Promise.all(gone);
    this.paused = false;
  }

  log(): string {
    return this.stderr;
  }
}
