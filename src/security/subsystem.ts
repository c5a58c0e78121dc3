/**
 * securitySubsystem: the security subsystem as a factory (abi/subsystem.ts). It provides the door's
 * capability (token checker), policy and effects stages, the CapGrant/CapRevoke syscalls and the
 * `security` service (keys, tokens, approvals, secrets, redactor, taint) for the API, CLI and the
 * subsystems after it; it reports stored operator grants it could not load (a warning each, naming
 * the row and field), and at shutdown denies waiting approvals and closes the grants database.
 */
import { AiosError, type AgentId } from "../core/index.js";
import type { Subsystem } from "../abi/index.js";
import { redactingLogger } from "./redact.js";
import { Security, type SecurityOptions } from "./security.js";
import { capSyscalls } from "./syscalls.js";
import { secretSyscalls } from "./secret-syscalls.js";

export function securitySubsystem(options: SecurityOptions & { readonly security?: Security } = {}): Subsystem<"security", Security> {
  return {
    name: "security",
    needs: [],
    build(host) {
      // When an agent gains its first label, its process starts exposing the tracker's live set,
      // so every later Caller (and policy evaluation) sees labels as soon as they are added.
      let sec: Security | undefined = options.security;
      const onTaint = (agent: AgentId, labels: string[], source: string): void => {
        host.events.emit("security.tainted", { labels, source }, agent, "warn");
        if (sec !== undefined) host.setTaint(agent, sec.taint.view(agent));
      };
      sec ??= new Security({ ...options, clock: host.clock, events: host.events, onTaint });
      const s = sec;
      const logger = redactingLogger(host.logger, s.redactor);
      const caller = (id: string) => {
        const p = host.agent(id);
        if (p === undefined) throw new AiosError("E_NO_AGENT", `no agent ${id}`, { details: { agent: id } });
        return p;
      };
      for (const p of s.grantProblems) logger.warn({ err: p.toJSON() }, p.message);
      return {
        service: s,
        stages: {
          capabilities: s.checker,
          policy: s.policy,
          // Around every handler: results (and errors) redacted before they are journaled or returned,
          // and the result's taint carried to the caller. Nothing is substituted here: secrets enter
          // only a tool's declared secret slots, inside the tool (tools/secret-slots.ts).
          effects: {
            redact: (value) => s.redactor.redact(value),
            observe: (c, syscall, args, result) => void s.taint.observe(c, syscall, args, result),
            // An error is text in the agent's context too: a redirect's Location, an error body.
            observeError: (c, syscall, args, details) => void s.taint.observeError(c, syscall, args, details),
            // A message carries its sender's labels, and another tenant's origin, into the recipient.
            message: (from, to) => {
              const labels = [...s.taint.peek(from.agent)];
              if (from.tenant !== to.tenant) labels.push(`tenant:${from.tenant}`);
              if (labels.length > 0) s.taint.add(to.agent, labels, `message from ${from.agent}`);
            },
          },
        },
        syscalls: [...capSyscalls(s, caller), ...secretSyscalls(s)],
        // The kernel knows every agent now (dormant ones too): counters of agents that did not come back go.
        start: () => s.checker.quotas.keepOnly((agent) => host.agent(agent) !== undefined),
        // Gone for good: its taint set and its quota counters go too (the wallet went at its exit).
        gone: (agent) => {
          s.taint.forget(agent);
          s.checker.quotas.forgetAgent(agent);
        },
        stop: () => {
          s.approvals.denyAll();
          s.close();
        },
      };
    },
  };
}
