/**
 * Demo section 6: no ambient authority. An agent holding no capability for file.read asks for a file;
 * the dispatcher refuses with E_CAP_DENIED before the tool runs, the decision lands in the
 * hash-chained audit log, `cap explain` says why, and `audit verify` checks the whole chain.
 */
import type { ControlPlane } from "../../gateway/index.js";
import type { Aios } from "../../sdk/index.js";
import type { Narrator } from "./narrator.js";
import { WORKER_MODULE } from "./paths.js";

export async function sectionSecurity(os: Aios, plane: ControlPlane, say: Narrator): Promise<boolean> {
  say.section("A capability denial, and the audit log", "Every effect is a syscall checked against capability tokens. `snoop` holds none for file.read, so its ToolCall is refused before the tool runs; the refusal is an entry in the tamper-evident audit log, which `aios audit verify` checks end to end.");
  const snoop = await os.spawn({ name: "snoop", kind: "code", module: WORKER_MODULE, export: "worker" });
  const r = (await os.request(snoop, { type: "read", path: "/etc/passwd" })) as { ok: boolean; error?: { code: string; message: string } };
  say.show(`snoop ${snoop} asks file.read /etc/passwd`, r.ok ? "allowed (unexpected!)" : `${r.error?.code ?? "?"}: ${r.error?.message ?? ""}`);
  const x = await plane.explain(snoop, "tool:file.read#call");
  say.show("aios cap explain snoop tool:file.read#call", x.summary);
  os.audit.flush();
  const denied = os.audit.entries({ agent: snoop }).filter((e) => e.kind === "syscall" && e.data["decision"] === "denied");
  for (const e of denied) say.show(`audit entry #${e.seq}`, { kind: e.kind, agent: e.agent, syscall: e.data["syscall"], decision: e.data["decision"], reason: e.data["reason"] });
  const v = await plane.auditVerify();
  say.show("aios audit verify", v.report.split("\n").at(-1) ?? "");
  if (v.ok) say.ok(`the audit chain of ${v.entries ?? 0} entries verifies, signed checkpoints included`);
  return !r.ok && r.error?.code === "E_CAP_DENIED" && denied.length > 0 && v.ok;
}
