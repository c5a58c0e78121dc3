/**
 * The kernel's guards: the stages the subsystems install (capability checker, policy, quotas,
 * scheduler, audit, journals, effects, tracing, the record stage's observer, remote mail, the plain-mail gate). The door
 * (dispatcher.ts) runs a call through them in order; mail, spawn, exits and recovery read the ones
 * they need. An absent stage decides and records nothing; the default checker allows what the
 * agent's spec names and nothing else.
 */
import type {
  AuditSink, CapabilityChecker, KernelJournal, PlainMailGate, PolicyEngine, QuotaManager, RemoteMailGate, ResourceScheduler, SyscallEffects, SyscallJournal, SyscallObserver, Tracer,
} from "../abi/index.js";

export interface Guards {
  capabilities: CapabilityChecker;
  policy: PolicyEngine | undefined;
  quota: QuotaManager | undefined;
  scheduler: ResourceScheduler | undefined;
  audit: AuditSink | undefined;
  syscallJournal: SyscallJournal | undefined;
  journal: KernelJournal | undefined;
  effects: SyscallEffects | undefined;
  trace: Tracer | undefined;
  /** The record stage's observer (observe/): each call's outcome, with no event built for it. */
  observer: SyscallObserver | undefined;
  remoteMail: RemoteMailGate | undefined;
  plainMail: PlainMailGate | undefined;
}
