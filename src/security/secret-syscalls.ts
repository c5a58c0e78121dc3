/**
 * The secret syscalls: SecretSet, SecretDelete and SecretList. They exist so that the operator's
 * secret writes (the HTTP API, the CLI) pass the door like every other effect — schema,
 * capability (`secret:<NAME>#write`, `secret:*#list`), policy, audit — and never a side door.
 * There is still no syscall that returns a value. A value travels only in SecretSet's arguments,
 * so: it is registered with the Redactor while the arguments are parsed (before policy, so an
 * approval request, an error or an event that quoted it would show `[REDACTED:NAME]`), and the
 * calls are not side effects (never journaled: setting a name to a value is idempotent, and a
 * journal record would hold the plaintext).
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import type { SyscallDef } from "../abi/index.js";
import type { Security } from "./security.js";

declare module "../abi/syscalls.js" {
  interface SyscallMap {
    SecretSet: { args: { name: string; value: string }; result: { name: string } };
    SecretDelete: { args: { name: string }; result: { name: string; deleted: boolean } };
    SecretList: { args: Record<string, never>; result: { names: string[] } };
  }
}

/** The name rule of SecretStore (and of `{{secret:NAME}}` references). */
export const SecretName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/, "a secret name: a letter or _ then up to 127 of A-Z a-z 0-9 _ . -");
/** Values of at least 4 characters (shorter ones cannot be redacted safely), at most 64 KiB. */
export const SecretValue = z.string().min(4, "at least 4 characters (shorter values cannot be redacted)").max(65_536);

const SetArgs = z.strictObject({ name: SecretName, value: SecretValue });
const NameArgs = z.strictObject({ name: SecretName });
const NoArgs = z.strictObject({});

function parseWith<T>(schema: z.ZodType<T>, raw: unknown, syscall: string): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = (issue?.path ?? []).map(String).join(".") || "args";
  // The message names the field, never the value (zod's messages here quote no input).
  throw new AiosError("E_INVALID_ARG", `${syscall} ${path}: ${issue?.message ?? "invalid"}`, { details: { path } });
}

export function secretSyscalls(security: Security): [SyscallDef<"SecretSet">, SyscallDef<"SecretDelete">, SyscallDef<"SecretList">] {
  const set: SyscallDef<"SecretSet"> = {
    name: "SecretSet",
    parse: (raw) => {
      const a = parseWith(SetArgs, raw, "SecretSet");
      security.redactor.add(a.name, a.value);
      return a;
    },
    requires: (a) => [{ resource: `secret:${a.name}`, action: "write" }],
    sideEffect: false,
    handler: (a) => {
      security.secrets.set(a.name, a.value);
      return { name: a.name };
    },
  };
  const del: SyscallDef<"SecretDelete"> = {
    name: "SecretDelete",
    parse: (raw) => parseWith(NameArgs, raw, "SecretDelete"),
    requires: (a) => [{ resource: `secret:${a.name}`, action: "write" }],
    sideEffect: false,
    handler: (a) => ({ name: a.name, deleted: security.secrets.delete(a.name) }),
  };
  const list: SyscallDef<"SecretList"> = {
    name: "SecretList",
    parse: (raw) => {
      parseWith(NoArgs, raw ?? {}, "SecretList");
      return {};
    },
    requires: () => [{ resource: "secret:*", action: "list" }],
    sideEffect: false,
    handler: () => ({ names: security.secrets.names() }),
  };
  return [set, del, list];
}
