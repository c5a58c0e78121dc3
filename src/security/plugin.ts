/**
 * securityPlugin: joins the security subsystem to the kernel through the Plugin seam, using only the
 * kernel's public API — it installs the token checker and the policy engine into kernel.guards,
 * registers CapGrant/CapRevoke, reports stored operator grants it could not load (a warning each,
 * naming the row and field), denies waiting approvals and closes the grants database at shutdown,
 * and exposes the Security object
 * (keys, tokens, approvals, secrets, redactor, taint) for the API, CLI and other subsystems.
 */
import type { AgentId, Clock, EventBus, Logger } from "../core/index.js";
import type { CapabilityChecker, PolicyEngine, SyscallEffects } from "../abi/index.js";
import type { Caller, SyscallDef, SyscallName } from "../abi/index.js";
import { redactingLogger } from "./redact.js";
import { Security, type SecurityOptions } from "./security.js";
import { capSyscalls } from "./syscalls.js";

/** The part of the kernel this plugin touches (structurally satisfied by class Kernel). */
export interface SecurityKernelPort {
  readonly events: EventBus;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly syscalls: { register<N extends SyscallName>(def: SyscallDef<N>): void };
  readonly guards: { capabilities: CapabilityChecker; policy: PolicyEngine | undefined; effects: SyscallEffects | undefined };
  /** The agent's process (a Caller whose taint set the plugin replaces); throws E_NO_AGENT. */
  get(id: string): Caller & { taint: ReadonlySet<string> };
  find(id: string): (Caller & { taint: ReadonlySet<string> }) | undefined;
  onShutdown(fn: () => void | Promise<void>): void;
}

export interface SecurityPlugin {
  readonly name: "security";
  install(kernel: SecurityKernelPort): void;
  /** The installed subsystem; throws E_CONFIG before install(). */
  readonly security: Security;
  /** A logger that redacts secrets (set after install; wrap other loggers with redactingLogger). */
  readonly logger: Logger;
}

export function securityPlugin(options: SecurityOptions & { readonly security?: Security } = {}): SecurityPlugin {
  let sec: Security | undefined = options.security;
  let logger: Logger | undefined;
  return {
    name: "security",
    install(kernel) {
      // When an agent gains its first label, its process starts exposing the tracker's live set,
      // so every later Caller (and policy evaluation) sees labels as soon as they are added.
      const onTaint = (agent: AgentId, labels: string[], source: string): void => {
        kernel.events.emit("security.tainted", { labels, source }, agent, "warn");
        const p = kernel.find(agent);
        if (p !== undefined && sec !== undefined) p.taint = sec.taint.view(agent);
      };
      sec ??= new Security({ ...options, clock: kernel.clock, events: kernel.events, onTaint });
      const s = sec;
      logger = redactingLogger(kernel.logger, s.redactor);
      kernel.guards.capabilities = s.checker;
      kernel.guards.policy = s.policy;
      // Around every handler: secrets substituted in the copy the handler sees, results (and errors)
      // redacted before they are journaled or returned, and the result's taint carried to the caller.
      kernel.guards.effects = {
        prepare: (caller, _syscall, args) => s.substituteSecrets(caller, args),
        redact: (value) => s.redactor.redact(value),
        observe: (caller, syscall, args, result) => void s.taint.observe(caller, syscall, args, result),
        // A message carries its sender's labels, and another tenant's origin, into the recipient.
        message: (from, to) => {
          const labels = [...s.taint.peek(from.agent)];
          if (from.tenant !== to.tenant) labels.push(`tenant:${from.tenant}`);
          if (labels.length > 0) s.taint.add(to.agent, labels, `message from ${from.agent}`);
        },
      };
      const [grant, revoke] = capSyscalls(s, (id) => kernel.get(id));
      kernel.syscalls.register(grant);
      kernel.syscalls.register(revoke);
      for (const p of s.grantProblems) logger.warn({ err: p.toJSON() }, p.message);
      kernel.onShutdown(() => {
        s.approvals.denyAll();
        s.close();
      });
    },
    get security(): Security {
      if (sec === undefined) throw new Error("securityPlugin: not installed yet");
      return sec;
    },
    get logger(): Logger {
      if (logger === undefined) throw new Error("securityPlugin: not installed yet");
      return logger;
    },
  };
}
