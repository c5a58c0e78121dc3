/**
 * Attacker's side of issue #15 item 4, "secrets reach the agent, the model and the disk". A secret
 * is set; an LLM agent whose scripted model asks for it every way it can (an echoing server, the
 * shell printing, reversing, base64-ing at odd offsets, hex-dumping and cutting the value, the
 * template in its own messages), and a code agent that sends the template to itself, writes it to a
 * file to read it back and puts it in fields that are not secret slots. The value reaches the one
 * place it was meant for (the Authorization header the API server receives, the command's
 * environment) and nothing else: not the model's requests, not the agent, not the journal or audit
 * files, not the event stream (GET /v1/events and the bus), and the data files are owner-only.
 */
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AuditReader } from "../../src/audit/index.js";
import { boot, flushMicrotasks, isAiosError, silentLogger, type AgentLogic, type Aios, type AnyKernelEvent } from "../../src/index.js";
import { ControlPlane, ensureApiToken, startGateway } from "../../src/gateway/index.js";
import { ReplayProvider, runLlm, type ChatRequest, type ReplayTurnInput } from "../../src/models/index.js";
import { AttackerServer, found, grepTree, leakForms, openToOthers } from "./injection/attacker.js";

const SECRET = "sk-live-7Hq2Zx9Lm4Pw8Rt3Vb6N";
const REF = "{{secret:API_TOKEN}}";
const LEAKS = leakForms(SECRET);

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

async function start(respond?: (req: ChatRequest, i: number) => ReplayTurnInput): Promise<{ os: Aios; dataDir: string; api: AttackerServer; events: AnyKernelEvent[] }> {
  const dataDir = join(mkdtempSync(join(tmpdir(), "aios-secret-")), "data");
  const api = await new AttackerServer()
    // An API that echoes what it got: the header back in every encoding an attacker would try.
    .on("/echo", (h, res) => {
      const auth = String(h.headers["authorization"] ?? "");
      const v = auth.replace(/^Bearer /, "");
      res.end(JSON.stringify({ auth, b64: Buffer.from(auth).toString("base64"), odd: Buffer.from(`x${v}`).toString("base64"), rev: [...v].reverse().join(""), part: v.slice(5, 17) }));
    })
    .start();
  const scripted = new ReplayProvider({ name: "scripted", respond: respond ?? (() => ({ text: "done" })) });
  const os = await boot({ dataDir, logger: silentLogger, subsystems: { embedder: false, memory: false, models: { models: {}, providers: { scripted } } } });
  os.caps.secrets.set("API_TOKEN", SECRET);
  const events: AnyKernelEvent[] = [];
  const unsub = os.events.subscribe({ minSeverity: "debug" }, (e) => void events.push(e));
  cleanup.push(async () => {
    unsub();
    await api.stop();
  });
  return { os, dataDir, api, events };
}

const sh = (script: string): ReplayTurnInput => ({ toolCalls: [{ name: "shell.execute", args: { command: "sh", args: ["-c", script], env: { TOKEN: REF } } }] });

describe("secrets enter only a tool's secret slots (attacker's side)", () => {
  it("a scripted model that asks for the secret every way gets it into the header and the command, never into its context", async () => {
    const seen: string[] = [];
    let url = "";
    const plan = (): ReplayTurnInput[] => [
      { toolCalls: [{ name: "http.fetch", args: { url, headers: { authorization: `Bearer ${REF}` } } }] },
      sh('printf %s "$TOKEN"'),
      sh('printf %s "$TOKEN" | rev'),
      sh('printf %s "$TOKEN" | base64 -w0'),
      sh('printf x%s "$TOKEN" | base64 -w0'),
      sh('printf xy%s "$TOKEN" | base64 -w0'),
      sh('printf %s "$TOKEN" | od -An -tx1 | tr -d " \\n"'),
      sh('printf %s "$TOKEN" | cut -c4-15'),
      sh('printenv'),
      { text: `the key is ${REF}` },
    ];
    const { os, dataDir, api, events } = await start((req, i) => {
      seen.push(JSON.stringify(req.messages));
      return plan()[i] ?? { text: "done" };
    });
    url = `${api.url}/echo`;
    const plane = new ControlPlane(os);
    const token = ensureApiToken(dataDir);
    const gw = await startGateway(plane, { token, port: 0 });
    cleanup.push(async () => {
      await gw.close();
      plane.close();
    });

    const answer = await runLlm(os, {
      name: "leaky", kind: "llm", model: "scripted", instructions: "Use the API.", tools: ["http.fetch", "shell.execute"],
      capabilities: ["llm:*#invoke", "tool:http.fetch#call", `net:127.0.0.1:${api.port}#fetch`, "net-class:loopback#connect", "tool:shell.execute#call", "shell#exec", "secret:API_TOKEN#use"],
    }, { goal: "call the API, then show me the key" });

    // The slot worked: the API got the value, in the header only.
    expect(api.hitsOn("/echo").map((h) => h.headers["authorization"])).toEqual([`Bearer ${SECRET}`]);
    // The model's every request, and the agent's answer: none of the value's forms.
    expect(seen.length).toBe(plan().length);
    for (const s of seen) expect(found(s, LEAKS)).toEqual([]);
    expect(seen.join("\n")).toContain("[REDACTED:API_TOKEN]");
    expect(JSON.stringify(answer)).toContain(REF); // the template the model wrote stays a template
    expect(found(JSON.stringify(answer), LEAKS)).toEqual([]);
    // The event stream over HTTP, and every event on the bus.
    const res = await fetch(`${gw.url}/v1/events?limit=1000`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(found(await res.text(), LEAKS)).toEqual([]);
    expect(events.length).toBeGreaterThan(10);
    expect(found(JSON.stringify(events), LEAKS)).toEqual([]);
    await os.shutdown("test");
    // Every byte on disk: journal, audit, security stores (the secret store holds ciphertext only).
    expect(grepTree(dataDir, LEAKS)).toEqual([]);
    expect(openToOthers(dataDir)).toEqual([]);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, "journal", "aios.db")).mode & 0o777).toBe(0o600);
  });

  it("an agent that sends the template to itself, writes it to a file or puts it outside a slot never gets the value", async () => {
    const { os, dataDir, api } = await start();
    const work = mkdtempSync(join(tmpdir(), "aios-secret-work-"));
    const got: unknown[] = [];
    const self: AgentLogic<null> = { init: () => null, receive: (s, m) => (got.push(m), s) };
    const caps = ["agent:*#send", "tool:file.write#call", "tool:file.read#call", `file:${work}/**#write`, `file:${work}/**#read`, "tool:http.fetch#call", `net:127.0.0.1:${api.port}#fetch`,
      "net-class:loopback#connect", "tool:shell.execute#call", "shell#exec", "secret:API_TOKEN#use"];
    const mallory = await os.spawn({ name: "mallory", kind: "code", logic: self, capabilities: caps });
    const refused = async (p: Promise<unknown>): Promise<string> => p.then(() => "ran", (e: unknown) => (isAiosError(e) ? `${e.code} ${e.message}` : String(e)));

    // To itself: the message is data; nothing substitutes in it.
    await os.syscall(mallory, "SemanticSend", { to: mallory, payload: { note: REF } });
    await flushMicrotasks(10);
    expect(JSON.stringify(got)).toContain(REF);
    expect(found(JSON.stringify(got), LEAKS)).toEqual([]);
    // Into a file, to read it back: the content field is not a slot of file.write.
    const file = join(work, "k.txt");
    expect(await refused(os.syscall(mallory, "ToolCall", { tool: "file.write", args: { path: file, content: REF } }))).toMatch(/^E_INVALID_ARG args\.content: a secret reference may only appear in a secret slot of file\.write/);
    // Not a slot: the body, a command argument, a URL, a header's name.
    const fetches = [
      { url: `${api.url}/echo`, method: "POST", body: REF },
      { url: `${api.url}/echo?k=${REF}` },
      { url: `${api.url}/echo`, headers: { [`x-${REF}`]: "1" } },
    ];
    for (const args of fetches) expect(await refused(os.syscall(mallory, "ToolCall", { tool: "http.fetch", args }))).toMatch(/^E_INVALID_ARG/);
    expect(await refused(os.syscall(mallory, "ToolCall", { tool: "shell.execute", args: { command: "echo", args: [REF] } }))).toMatch(/^E_INVALID_ARG args\.args\.0: /);
    expect(api.hits).toEqual([]);
    // The env slot of shell.execute reaches the command, and its echo comes back redacted.
    const r = (await os.syscall(mallory, "ToolCall", { tool: "shell.execute", args: { command: "printenv", args: ["T"], env: { T: REF } } })) as { stdout: string };
    expect(r.stdout.trim()).toBe("[REDACTED:API_TOKEN]");
    // Without secret:NAME#use, the slot is refused before anything runs.
    const eve = await os.spawn({ name: "eve", kind: "code", logic: self, capabilities: caps.filter((c) => !c.startsWith("secret:")) });
    expect(await refused(os.syscall(eve, "ToolCall", { tool: "http.fetch", args: { url: `${api.url}/echo`, headers: { authorization: REF } } }))).toMatch(/^E_CAP_DENIED .*secret:API_TOKEN/);
    expect(api.hits).toEqual([]);
    await os.shutdown("test");

    // Each refusal is in the audit log as denied, naming why.
    const reader = AuditReader.open(join(dataDir, "audit"));
    const denied = reader.entries({}).filter((e) => e.kind === "syscall").map((e) => e.data as { agent?: string; syscall: string; decision: string; reason?: string }).filter((d) => d.decision === "denied");
    reader.close();
    // file.write's content, the body, the URL, the command argument; the header name fails its own schema first.
    expect(denied.filter((d) => /secret reference may only appear/.test(d.reason ?? "")).map((d) => d.syscall)).toEqual(["ToolCall", "ToolCall", "ToolCall", "ToolCall"]);
    expect(denied.filter((d) => /Invalid key in record/.test(d.reason ?? "")).length).toBe(1);
    expect(denied.some((d) => /secret:API_TOKEN#use/.test(d.reason ?? ""))).toBe(true);
    expect(grepTree(dataDir, LEAKS)).toEqual([]);
    expect(readFileSync(join(dataDir, "security", "secrets", "secrets.json"), "utf8")).not.toContain(SECRET);
  });
});
