/**
 * The CapGrant and CapRevoke syscalls. CapGrant delegates one capability from a token the caller
 * holds to another agent — by attenuation only, so it needs no separate capability of its own: the
 * authority is the caller's token, checked in the handler (an uncovered request is E_CAP_DENIED).
 * CapRevoke revokes a token the caller holds or issued, cascading to everything delegated from it.
 * Agents only ever see token ids, never token bytes.
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import type { SyscallDef } from "../abi/index.js";
import type { CheckCaller } from "./checker.js";
import type { Security } from "./security.js";

const GrantArgs = z.object({ to: z.string().min(1), capability: z.string().min(1).max(4096), ttlMs: z.number().int().positive().optional() }).strict();
const RevokeArgs = z.object({ token: z.string().min(1).max(128) }).strict();

function parseWith<T>(schema: z.ZodType<T>, raw: unknown, syscall: string): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = (issue?.path ?? []).map(String).join(".") || "args";
  throw new AiosError("E_INVALID_ARG", `${syscall} ${path}: ${issue?.message ?? "invalid"}`, { details: { path } });
}

/** `resolve` turns an agent id into the kernel's view of it (kernel.caller), throwing E_NO_AGENT. */
export function capSyscalls(security: Security, resolve: (agent: string) => CheckCaller): [SyscallDef<"CapGrant">, SyscallDef<"CapRevoke">] {
  const grant: SyscallDef<"CapGrant"> = {
    name: "CapGrant",
    parse: (raw) => {
      const a = parseWith(GrantArgs, raw, "CapGrant");
      return { to: a.to, capability: a.capability, ...(a.ttlMs === undefined ? {} : { ttlMs: a.ttlMs }) };
    },
    requires: () => [],
    sideEffect: false,
    handler: (args, call) => {
      const to = resolve(args.to);
      const exp = args.ttlMs === undefined ? undefined : security.clock.now() + args.ttlMs;
      const v = security.checker.grant(call.caller, to, args.capability, exp === undefined ? {} : { exp });
      return { granted: v.id };
    },
  };
  const revoke: SyscallDef<"CapRevoke"> = {
    name: "CapRevoke",
    parse: (raw) => parseWith(RevokeArgs, raw, "CapRevoke"),
    requires: () => [],
    sideEffect: false,
    handler: (args, call) => ({ revoked: security.checker.revoke(call.caller, args.token) }),
  };
  return [grant, revoke];
}
