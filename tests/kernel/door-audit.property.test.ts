/**
 * Issue #10, item 7: "for any sequence of syscalls and sends under a random policy, every effect that
 * happened has exactly one audit entry and every refused one has its decision audited — ctx.request
 * included". Run on the default stack (`boot({ dataDir })`), read back from the audit log on disk.
 *
 * An actor agent performs each operation from inside its own logic, the way an agent does: a send,
 * a request, a spawn and a tool call (a file write inside or outside its grant, or through a symlink
 * inside it that leads outside, which the tool's own re-check refuses after the door allowed it).
 * Its capabilities and the policy's deny rules are random. After each operation the new audit
 * entries of the actor for that syscall account for exactly one call: "denied" when the actor got a
 * refusal, "allowed" when it did not (as its own entry, or as a count of one in the interval's
 * aggregate for sends on the fast path). At the end, the effects that happened (letters the target
 * handled, children alive, files on disk) are exactly the allowed ones.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AuditReader } from "../../src/audit/index.js";
import { boot, silentLogger, type AgentLogic } from "../../src/index.js";

type Op =
  | { readonly kind: "send" }
  | { readonly kind: "request" }
  | { readonly kind: "spawn" }
  | { readonly kind: "write"; readonly where: Where };

/**
 * Where a write goes: inside the granted directory, outside it, or through a symlink inside it that
 * points outside (the door sees a granted path; the tool's own re-check after resolving it refuses).
 */
type Where = "granted" | "outside" | "granted/link";

const SYSCALL: Record<Op["kind"], string> = { send: "SemanticSend", request: "AgentRequest", spawn: "AgentSpawn", write: "ToolCall" };
const REFUSALS = new Set(["E_CAP_DENIED", "E_POLICY", "E_QUOTA", "E_RATE_LIMITED", "E_APPROVAL_DENIED"]);

const CAPS = ["agent:*#send", "agent#spawn", "tool:file.write#call", "WRITE_DIR"] as const;
const RULES = [
  "{ id: no-mail, effect: deny, when: { resource: 'agent:*', action: send } }",
  "{ id: no-requests, effect: deny, when: { syscall: AgentRequest } }",
  "{ id: no-spawn, effect: deny, when: { syscall: AgentSpawn } }",
  "{ id: no-files, effect: deny, when: { tool: 'file.*' } }",
  "{ id: no-actor-tools, effect: deny, when: { agent: actor, syscall: ToolCall } }",
] as const;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.constant<Op>({ kind: "send" }),
  fc.constant<Op>({ kind: "request" }),
  fc.constant<Op>({ kind: "spawn" }),
  fc.constantFrom<Where>("granted", "outside", "granted/link").map((where): Op => ({ kind: "write", where })),
);

interface Outcome {
  readonly ok: boolean;
  readonly code?: string;
}

describe("the door's record stage (property)", () => {
  it("audits every effect exactly once and every refusal as denied, ctx.request included", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.subarray([...CAPS]),
        fc.subarray([...RULES]),
        fc.array(opArb, { minLength: 1, maxLength: 12 }),
        async (caps, rules, ops) => {
          const dataDir = mkdtempSync(join(tmpdir(), "aios-door-audit-"));
          const files = join(dataDir, "files");
          mkdirSync(join(files, "granted"), { recursive: true });
          mkdirSync(join(files, "outside"), { recursive: true });
          symlinkSync(join(files, "outside"), join(files, "granted", "link"));
          const policy = `default: allow\nrules:${rules.length === 0 ? " []" : ""}\n${rules.map((r) => `  - ${r}\n`).join("")}`;
          const os = await boot({ dataDir, logger: silentLogger, subsystems: { embedder: false, security: { policy } } });
          try {
            os.kernel.registerLogic("idle", { init: () => null, receive: (s) => s } satisfies AgentLogic<null>);
            const handled: number[] = [];
            const target = await os.spawn({
              name: "target", kind: "code",
              logic: { init: () => null, receive: (s: null, m, ctx) => (handled.push((m as { n: number }).n), ctx.reply("ok"), s) },
            });
            const capabilities = caps.map((c) => (c === "WRITE_DIR" ? `file:${files}/granted/**#write` : c));
            const actor = await os.spawn({
              name: "actor", kind: "code", capabilities,
              logic: {
                init: () => null,
                async receive(s: null, m, ctx) {
                  const { op, n } = m as { op: Op; n: number };
                  try {
                    if (op.kind === "send") await ctx.send(target, { n });
                    else if (op.kind === "request") await ctx.request(target, { n });
                    else if (op.kind === "spawn") await ctx.sys.AgentSpawn({ spec: { name: `kid-${n}`, kind: "code", logic: "idle" } });
                    else await ctx.sys.ToolCall({ tool: "file.write", args: { path: join(files, op.where, `f-${n}`), content: "x" } });
                    ctx.reply({ ok: true } satisfies Outcome);
                  } catch (e) {
                    ctx.reply({ ok: false, code: (e as { code?: string }).code ?? "?" } satisfies Outcome);
                  }
                  return s;
                },
              },
            });
            let reader: AuditReader | undefined;
            let seen = 0;
            // A call is one "syscall" entry, or one count in an "aggregate" entry (allowed sends under
            // an already-verified grant are tallied per interval; drain() writes the tally, then flushes).
            const newEntries = (): { syscall: unknown; decision: unknown; calls: number }[] => {
              os.audit.drain();
              reader ??= AuditReader.open(join(dataDir, "audit"));
              const all = reader.entries({ agent: actor, limit: 100_000 }).filter((e) => e.kind === "syscall" || e.kind === "aggregate");
              const fresh = all.slice(seen);
              seen = all.length;
              return fresh.map((e) => ({ syscall: e.data["syscall"], decision: e.data["decision"], calls: e.kind === "aggregate" ? Number(e.data["count"]) : 1 }));
            };
            newEntries();
            const allowed = { letters: [] as number[], kids: 0, files: [] as string[] };
            for (const [n, op] of ops.entries()) {
              const out = (await os.request(actor, { op, n })) as Outcome;
              const refused = !out.ok && REFUSALS.has(out.code ?? "");
              // A failure that is not a refusal would be a bug in this test's setup, not a finding.
              expect(out.ok || refused, `op ${n} ${op.kind} failed with ${out.code}`).toBe(true);
              const entries = newEntries().filter((e) => e.syscall === SYSCALL[op.kind]);
              expect(entries, `op ${n} ${op.kind} (${out.ok ? "done" : out.code})`).toEqual([{ syscall: SYSCALL[op.kind], decision: out.ok ? "allowed" : "denied", calls: 1 }]);
              if (!out.ok) continue;
              if (op.kind === "send" || op.kind === "request") allowed.letters.push(n);
              else if (op.kind === "spawn") allowed.kids++;
              else allowed.files.push(join(files, op.where, `f-${n}`));
            }
            // Effects: exactly the allowed ones happened (the target has drained its mailbox).
            for (let i = 0; i < 1000 && (os.status(target).mailbox > 0 || handled.length < allowed.letters.length); i++) await new Promise((r) => setTimeout(r, 1));
            expect([...handled].sort((a, b) => a - b)).toEqual(allowed.letters);
            const kids = os.tree().find((t) => t.id === actor)?.children ?? [];
            expect(kids.length).toBe(allowed.kids);
            for (const [n, op] of ops.entries()) {
              if (op.kind !== "write") continue;
              const path = join(files, op.where, `f-${n}`);
              expect(existsSync(path), path).toBe(allowed.files.includes(path));
            }
            reader?.close();
          } finally {
            await os.shutdown();
            rmSync(dataDir, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 20 },
    );
  }, 120_000);
});
