/**
 * The `aios` command tree (commander). Global options: --data-dir, --json, --verbose. Every command
 * has --help; the exit-code table is in `aios --help`. Each action returns its exit code; main.ts
 * turns thrown errors into `error: <code>: <message>` and their exit code.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { CliContext, resolveDataDir, type GlobalOptions } from "./context.js";
import { EXIT_TABLE } from "./exit-codes.js";
import { Output, type OutputStreams } from "./output.js";
import { VERSION } from "./version.js";
import type * as Agents from "./agent-commands.js";
import type * as Planner from "./planner-commands.js";
import type * as McpCommands from "./mcp-commands.js";
import type * as Admin from "./admin-commands.js";
import type * as Store from "./store-commands.js";
import type * as OsCommands from "./os-commands.js";
import type { ClusterFlags } from "./cluster-commands.js";

// Every command's module is imported when the command is chosen, never at start: `aios --version`
// and `aios ps` load commander, this file and the HTTP client only (docs/adr/0025). up, run, demo,
// recover and mcp boot a kernel and load the whole stack (seconds); the rest talk to the daemon.
const agents = (): Promise<typeof Agents> => import("./agent-commands.js");
const admin = (): Promise<typeof Admin> => import("./admin-commands.js");
const planner = (): Promise<typeof Planner> => import("./planner-commands.js");
const store = (): Promise<typeof Store> => import("./store-commands.js");
const mcp = (): Promise<typeof McpCommands> => import("./mcp-commands.js");
const osc = (): Promise<typeof OsCommands> => import("./os-commands.js");

interface UpCommandOptions extends ClusterFlags {
  readonly port: number;
  readonly host: string;
  readonly models?: string;
  readonly policy?: string;
  readonly otlp?: string;
  readonly traceSample?: number;
  readonly publicUrl?: string;
}

function int(name: string, min = 0, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `${name} must be an integer >= ${min}` : `${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

function ratio(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`${name} must be a number from 0 to 1`);
    return n;
  };
}

/** A cluster or node name: it becomes a NATS subject token ([a-z0-9][a-z0-9_-]*). */
function name(flag: string): (v: string) => string {
  return (v) => {
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(v)) throw new InvalidArgumentError(`${flag} must match [a-z0-9][a-z0-9_-]{0,62}`);
    return v;
  };
}

/**
 * The command tree. `setExit` receives each action's exit code; `io` replaces stdout/stderr (tests);
 * `usageError` reports commander's parse errors (run-cli.ts prints them as E_INVALID_ARG, in JSON
 * too with --json).
 */
export function buildProgram(setExit: (code: number) => void, io: OutputStreams = {}, usageError?: (message: string) => void): Command {
  const writeOut = (s: string): void => void (io.out ?? process.stdout).write(s);
  const writeErr = (s: string): void => void (io.err ?? process.stderr).write(s);
  const program = new Command("aios")
    .description("AIOS — an operating system for AI agents")
    .version(VERSION)
    .option("--data-dir <dir>", "the data directory (default: $AIOS_HOME or ./.aios)")
    .option("--json", "machine-readable JSON output")
    .option("--verbose", "stack traces with errors")
    .exitOverride()
    .configureOutput({
      writeOut,
      writeErr,
      outputError: (str, write) => {
        if (str.startsWith("error: ") && usageError !== undefined) usageError(str.slice(7).trimEnd());
        else write(str.startsWith("error: ") ? `error: E_INVALID_ARG: ${str.slice(7)}` : str);
      },
    })
    .showHelpAfterError("(add --help for usage)")
    .addHelpText("after", `\n${EXIT_TABLE}\n\nErrors print "error: <code>: <message>" on stderr.`);

  const ctxOf = (cmd: Command): CliContext => {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    return new CliContext(new Output({ json: g.json === true, verbose: g.verbose === true, ...io }), resolveDataDir(g.dataDir));
  };
  const act =
    <A extends unknown[]>(fn: (ctx: CliContext, ...args: A) => Promise<number>) =>
    async (...args: unknown[]): Promise<void> => {
      const cmd = args[args.length - 1] as Command;
      setExit(await fn(ctxOf(cmd), ...(args.slice(0, -1) as A)));
    };

  program
    .command("up")
    .description("run the kernel as a daemon with the HTTP API (SIGTERM/SIGINT drain and exit 0)")
    .addOption(new Option("--port <port>", "API port on the host (0 = any free port)").default(7878).argParser(int("--port", 0, 65535)))
    .option("--host <host>", "address to bind (loopback by default)", "127.0.0.1")
    .option("--models <file>", "models config (YAML/JSON, entries by name)")
    .option("--policy <file>", "policy rules (YAML)")
    .option("--public-url <origin>", "the origin browsers reach the dashboard at when a TLS proxy is in front (https://aios.example.com): its posts pass the origin check and the session cookie is Secure")
    .option("--otlp <url>", "turn tracing on and export spans by OTLP/HTTP to this collector (http://host:4318, or its /v1/traces URL); overrides config.yaml's tracing")
    .option("--trace-sample <ratio>", "with --otlp: the share of traces kept, 0 to 1 (default 1)", ratio("--trace-sample"))
    .option("--cluster <name>", "join this cluster as a node (needs --postgres and --nats)", name("--cluster"))
    .option("--postgres <url>", "the cluster's PostgreSQL (postgres://...)")
    .option("--nats <url>", "the cluster's NATS server with JetStream (nats://...)")
    .option("--node <name>", "this node's name in the cluster (default: host name and pid)", name("--node"))
    .option("--capacity <n>", "agents this node takes at most (default 1000)", int("--capacity", 1))
    .option("--tags <list>", "comma-separated node tags agents' placement hints can require")
    .option("--lease-ttl <ms>", "how long this node's leases outlive its last heartbeat: the failover time (default 5000; heartbeats every ttl/5)", int("--lease-ttl", 50))
    .action(act(async (ctx, o: UpCommandOptions) => (await import("./up.js")).up(ctx, o)));

  program
    .command("nodes")
    .description("the cluster's nodes with their load (live leases / capacity), read from its PostgreSQL")
    .requiredOption("--cluster <name>", "the cluster", name("--cluster"))
    .requiredOption("--postgres <url>", "the cluster's PostgreSQL (postgres://...)")
    .action(act(async (ctx, o: { cluster: string; postgres: string }) => (await import("./cluster-commands.js")).nodes(ctx, o)));

  program
    .command("run <spec>")
    .description("spawn an agent from a spec file (on the daemon if one is up, else in this process)")
    .option("--goal <text>", "the task: an llm agent's goal, or a request to a code agent")
    .option("-f, --follow", "print the agent's events while it runs")
    .option("--timeout <ms>", "how long to wait for the answer to --goal", int("--timeout", 1))
    .option("--models <file>", "models config for an in-process run")
    .option("--keep", "in-process: leave the agents in the data dir's journal (durable: they resume at the next boot) instead of ending them")
    .action(act(async (ctx, spec: string, o: { goal?: string; follow?: boolean; timeout?: number; models?: string; keep?: boolean }) => (await import("./run.js")).run(ctx, spec, o)));

  program
    .command("ps")
    .description("list agents")
    .option("--status <list>", "comma-separated statuses (running,paused,...)")
    .option("--name <glob>", "name or glob (worker-*)")
    .addOption(new Option("--kind <kind>", "only agents of this kind").choices(["code", "llm", "supervisor"]))
    .option("--parent <id>", "children of this agent")
    .option("--limit <n>", "at most n rows", int("--limit", 1))
    .action(act(async (ctx, o: Agents.PsOptions) => (await agents()).ps(ctx, o)));

  program
    .command("status [id]")
    .description("one agent's status; without an id, the store's health (damage repaired, an accepted loss)")
    .action(act(async (ctx, id?: string) => (id === undefined ? (await store()).storeStatus(ctx) : (await agents()).status(ctx, id))));
  program
    .command("recover")
    .description("inspect a journal `aios up` refused; --accept-loss continues without the lost records (audited)")
    .option("--accept-loss", "keep every record that verifies, set the damaged files aside, and record the acceptance in the audit log")
    .action(act(async (ctx, o: { acceptLoss?: boolean }) => (await import("./recover.js")).recover(ctx, o)));
  program
    .command("logs <agent>")
    .description("an agent's events (id or name): its past from the audit log, kept across daemon restarts and read without a daemon too; -f follows live")
    .option("-f, --follow", "keep streaming new events (Ctrl-C stops)")
    .option("--types <list>", "comma-separated event types or prefixes (agent.*, syscall.*)")
    .option("--messages", "the agent's messaging syscalls (sends, receives, requests, streams: decisions and counts, never payloads)")
    .option("--limit <n>", "at most n past events", int("--limit", 1))
    .action(act(async (ctx, id: string, o: Agents.LogsOptions) => (await agents()).logs(ctx, id, o)));
  program.command("pause <id>").description("pause an agent (its mail queues)").action(act(async (ctx, id: string) => (await agents()).lifecycle(ctx, "pause", id)));
  program.command("resume <id>").description("resume a paused agent").action(act(async (ctx, id: string) => (await agents()).lifecycle(ctx, "resume", id)));
  program
    .command("migrate <id> <node>")
    .description("move an agent (its whole tree, with state and mailbox) to another node of the daemon's cluster")
    .action(act(async (ctx, id: string, node: string) => (await agents()).migrate(ctx, id, node)));
  program
    .command("kill <id>")
    .description("kill an agent (its supervisor does not restart it)")
    .option("--reason <text>", "recorded with the kill")
    .action(act(async (ctx, id: string, o: { reason?: string }) => (await agents()).lifecycle(ctx, "kill", id, o.reason)));
  program
    .command("restart <id>")
    .description("restart an agent under the same id (a durable one keeps its journaled state; counted in its supervisor's restart intensity)")
    .option("--reason <text>", "recorded with the restart")
    .action(act(async (ctx, id: string, o: { reason?: string }) => (await agents()).lifecycle(ctx, "restart", id, o.reason)));
  program.command("tree").description("the supervision tree").action(act(async (ctx) => (await agents()).tree(ctx)));
  program
    .command("send <id> <payload>")
    .description("send a message (JSON, or text); --request waits for the reply")
    .option("--request", "wait for and print the reply")
    .option("--timeout <ms>", "reply timeout", int("--timeout", 1))
    .action(act(async (ctx, id: string, payload: string, o: { request?: boolean; timeout?: number }) => (await agents()).send(ctx, id, payload, o.request === true, o.timeout)));

  program
    .command("upgrade <agent> <spec>")
    .description("hot-swap an agent's spec or code version, state kept: <spec> is a YAML/JSON file or inline JSON of the fields to change (give version too)")
    .action(act(async (ctx, agent: string, spec: string) => (await agents()).upgrade(ctx, agent, spec)));

  const cap = program.command("cap").description("capabilities: grant, revoke, ls, explain");
  cap
    .command("grant <agent> <capability>")
    .description("grant a capability (e.g. 'file:/data/**#read') to an agent")
    .option("--ttl <ms>", "expire after ms", int("--ttl", 1))
    .action(act(async (ctx, agent: string, capability: string, o: { ttl?: number }) => (await admin()).capGrant(ctx, agent, capability, o.ttl)));
  cap.command("revoke <token>").description("revoke a token and its delegations").action(act(async (ctx, token: string) => (await admin()).capRevoke(ctx, token)));
  cap.command("ls <agent>").description("tokens an agent holds").action(act(async (ctx, agent: string) => (await admin()).capLs(ctx, agent)));
  cap
    .command("explain <agent> <action>")
    .description("why resource#action (e.g. 'tool:file.read#call') is allowed or denied; exit 1 when denied")
    .option("--syscall <name>", "the syscall policy is evaluated for", "ToolCall")
    .action(act(async (ctx, agent: string, action: string, o: { syscall: string }) => (await admin()).capExplain(ctx, agent, action, o.syscall)));

  const audit = program.command("audit").description("the tamper-evident audit log");
  audit
    .command("verify")
    .description("verify the hash chain, Merkle heads and signed checkpoints (exit 4 when it fails)")
    .option("--pubkey <file>", "the trusted public key(s), PEM, kept outside the data dir (else audit.pub is used, unpinned)")
    .option("--head <file>", "a signed head kept outside the data dir (the audit headPath): the log must extend it")
    .action(act(async (ctx, o: { pubkey?: string; head?: string }) => (await admin()).auditVerify(ctx, o)));

  const appr = program
    .command("approvals")
    .description("approval requests parked by policy; approve or deny one")
    .option("--status <status>", "pending, approved, denied or expired")
    .action(act(async (ctx, o: { status?: string }) => (await admin()).approvals(ctx, o.status)));
  appr.command("approve <id>").description("approve a pending request").option("--note <text>", "recorded with the decision").action(act(async (ctx, id: string, o: { note?: string }) => (await admin()).decideApproval(ctx, id, "approve", o.note)));
  appr.command("deny <id>").description("deny a pending request").option("--note <text>", "recorded with the decision").action(act(async (ctx, id: string, o: { note?: string }) => (await admin()).decideApproval(ctx, id, "deny", o.note)));

  const esc = program
    .command("escalations")
    .description("supervisor trees that gave up and wait for a person")
    .action(act(async (ctx) => (await admin()).escalations(ctx)));
  esc.command("decide <id> <decision>").description("restart (afresh) or abandon an escalated tree").action(act(async (ctx, id: string, decision: string) => (await admin()).decideEscalation(ctx, id, decision)));

  const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
  program
    .command("plan <goal>")
    .description("plan a goal into a task graph and run it through the market (on the daemon); parts separated by ';' run in parallel")
    .option("--payer <account>", "the ledger account that pays (default: the operator's wallet)")
    .option("--budget <credits>", "most credits the plan may spend (default: the payer's balance)")
    .option("--no-wait", "answer once the plan runs, without waiting for its end")
    .action(act(async (ctx, goal: string, o: Planner.PlanOptions) => (await planner()).plan(ctx, goal, o)));
  program.command("plan-status <id>").description("a plan's version, task states and answer").action(act(async (ctx, id: string) => (await planner()).planStatus(ctx, id)));
  const market = program.command("market").description("the market where agents bid for tasks");
  market
    .command("book")
    .description("tasks on the market with their bids, winners and payments")
    .option("--status <status>", "open, awarded, done, settled, refunded, expired or failed")
    .action(act(async (ctx, o: { status?: string }) => (await planner()).marketBook(ctx, o)));
  const ledger = program.command("ledger").description("the double-entry ledger (credits) with escrow");
  ledger.command("balances").description("every account's balances and the double-entry check (exit 1 if unbalanced)").option("--ledger <name>", "one ledger (tenant)").action(act(async (ctx, o: { ledger?: string }) => (await planner()).ledgerBalances(ctx, o)));
  ledger
    .command("transfers")
    .description("transfers in commit order")
    .option("--account <id>", "only transfers touching this account")
    .option("--after <seq>", "after this sequence number", int("--after"))
    .option("--limit <n>", "at most n transfers", int("--limit", 1))
    .action(act(async (ctx, o: { account?: string; after?: number; limit?: number }) => (await planner()).ledgerTransfers(ctx, o)));
  ledger.command("deposit <account> <credits>").description("issue credits from the mint to an account").option("--id <id>", "idempotency id (a repeat is a no-op)").action(act(async (ctx, account: string, amount: string, o: { id?: string }) => (await planner()).ledgerDeposit(ctx, account, amount, o)));
  program.command("reputation [agent]").description("reputation: six dimensions and trust per agent").action(act(async (ctx, agent?: string) => (await planner()).reputation(ctx, agent)));

  const AS = ["--as <agent>", "act as this agent (id or name: its capabilities, its private scope) instead of as the operator"] as const;
  const mem = program.command("mem").description("memory: typed, versioned records with hybrid search and a graph (on the daemon, else in-process)");
  mem
    .command("put <type> <content>")
    .description("store a record: `aios mem put observation 'the build is green'` (content: JSON, or text for types with a text field)")
    .option("--scope <scope>", "agent, global or shared/<namespace> (default: the caller's)")
    .option("--tags <list>", "comma-separated tags")
    .option("--ttl <ms>", "expire after ms", int("--ttl", 1))
    .option(...AS)
    .action(act(async (ctx, type: string, content: string, o: OsCommands.MemPutOptions) => (await osc()).memPut(ctx, type, content, o)));
  mem
    .command("query [text]")
    .description("search memory (hybrid BM25 + vectors by default); each hit with its score")
    .option("-k <n>", "at most n hits", int("-k", 1))
    .addOption(new Option("--mode <mode>", "search mode").choices(["hybrid", "lexical", "vector"]))
    .option(...AS)
    .action(act(async (ctx, text: string | undefined, o: OsCommands.MemQueryOptions) => (await osc()).memQuery(ctx, text, o)));
  mem.command("get <id>").description("a record's current version").option(...AS).action(act(async (ctx, id: string, o: { as?: string }) => (await osc()).memGet(ctx, id, o)));
  mem.command("history <id>").description("every version of a record with its causal parents, and its heads").option(...AS).action(act(async (ctx, id: string, o: { as?: string }) => (await osc()).memHistory(ctx, id, o)));
  mem
    .command("link <from> <to> <type>")
    .description("add a typed edge between two records: `aios mem link <a> <b> cites`")
    .option(...AS)
    .action(act(async (ctx, from: string, to: string, type: string, o: { as?: string }) => (await osc()).memLink(ctx, from, to, type, o)));

  const tools = program.command("tools").description("the tools agents call: list, describe, call as the operator (on the daemon, else in-process)");
  tools.command("ls").description("registered tools").action(act(async (ctx) => (await osc()).toolsList(ctx)));
  tools.command("describe <name>").description("a tool and the JSON Schema of its arguments").action(act(async (ctx, name: string) => (await osc()).toolDescribe(ctx, name)));
  tools
    .command("call <name> [args]")
    .description("call a tool through the door (checked, scheduled, audited): `aios tools call file.read '{\"path\":\"/data/a.txt\"}'`")
    .option(...AS)
    .option("--idempotency-key <key>", "run a side effect at most once for this key")
    .action(act(async (ctx, name: string, args: string | undefined, o: { as?: string; idempotencyKey?: string }) => (await osc()).toolCall(ctx, name, args, o)));

  const secrets = program
    .command("secrets")
    .description("secrets tools use as {{secret:NAME}}: set, list names, delete; a value is never shown again")
    .addHelpText("after", "\nA value is read from stdin or a prompt that does not echo, never from arguments:\nargv is visible to every user of the machine in `ps`.\n  printf %s \"$TOKEN\" | aios secrets set GITHUB_TOKEN");
  secrets
    .command("set <name>")
    .description("set a secret; the value comes from stdin (a pipe) or a prompt that does not echo — never from argv, which `ps` shows to everyone")
    .action(act(async (ctx, name: string) => (await osc()).secretSet(ctx, name)));
  secrets.command("ls").description("secret names (never values)").action(act(async (ctx) => (await osc()).secretsList(ctx)));
  secrets.command("rm <name>").description("delete a secret").action(act(async (ctx, name: string) => (await osc()).secretDelete(ctx, name)));

  const mcpCmd = program.command("mcp").description("MCP: servers whose tools agents may call, and AIOS as an MCP server");
  mcpCmd
    .command("add <name> [command...]")
    .description("add a server: `aios mcp add fs -- node /path/server.js /data` (stdio, sandboxed) or `--url http://host/mcp`")
    .option("--url <url>", "a Streamable HTTP server")
    .option("--mount <path[:rw]>", "bind a host path into a stdio server's sandbox (repeatable; :rw for writable)", collect)
    .option("--network", "keep the host network in a stdio server's sandbox")
    .option("--env <NAME=value>", "an environment variable for a stdio server (repeatable)", collect)
    .action(act(async (ctx, name: string, command: string[], o: McpCommands.AddOptions) => (await mcp()).mcpAdd(ctx, name, command, o)));
  mcpCmd.command("ls").description("the configured MCP servers").action(act(async (ctx) => (await mcp()).mcpList(ctx)));
  mcpCmd.command("rm <name>").description("remove a configured MCP server").action(act(async (ctx, name: string) => (await mcp()).mcpRemove(ctx, name)));
  mcpCmd
    .command("serve")
    .description("serve this data dir's tools, memory and agent specs as an MCP server")
    .requiredOption("--stdio", "over stdin/stdout (for desktop clients); HTTP is /mcp on `aios up`")
    .action(act(async (ctx) => (await mcp()).mcpServeStdio(ctx)));

  program
    .command("demo")
    .description("a narrated tour on a fresh data dir: supervision, messaging, a crash, pause/resume, a durable agent surviving kill -9, a denied capability, audit, a local model")
    .option("--keep", "keep the temporary data dir")
    .action(act(async (ctx, o: { keep?: boolean }) => (await import("./demo/demo.js")).demo(ctx, { keep: o.keep === true, explicitDataDir: ctxOfExplicit(program) })));

  return program;
}

/** The data dir the user named (the demo uses a fresh temporary one otherwise). */
function ctxOfExplicit(program: Command): string | undefined {
  const d = program.opts<GlobalOptions>().dataDir;
  return d === undefined ? undefined : resolveDataDir(d);
}
