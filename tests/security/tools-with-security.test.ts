/**
 * tools/ under the real security subsystem: boot() with securitySubsystem (signed tokens minted from
 * the spec, policy engine) and toolsSubsystem. The tools' execution-time re-checks and constraint
 * reading (shell allow-list) must work through tokens exactly as through spec strings, and a grant
 * that arrives by CapGrant (no spec string to read) must constrain as tightly as a spec string.
 */
import { existsSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { boot, silentLogger, type Aios, type AgentLogic } from "../../src/index.js";
import { securitySubsystem } from "../../src/security/index.js";
import { toolsSubsystem } from "../../src/tools/index.js";

let dir: string;
let os: Aios;
const idle: AgentLogic<null> = { init: () => null, receive: (s) => s };
beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "aios-tools-sec-")));
  writeFileSync(join(dir, "ok.txt"), "fine");
  writeFileSync(join(dir, "..", `${dir.split("/").at(-1) ?? "x"}-outside.txt`), "outside");
  symlinkSync(join(dir, "..", `${dir.split("/").at(-1) ?? "x"}-outside.txt`), join(dir, "escape"));
});
afterAll(() => {
  rmSync(join(dir, "..", `${dir.split("/").at(-1) ?? "x"}-outside.txt`), { force: true });
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => os.shutdown());

async function start(capabilities: string[]): Promise<{ id: string; sec: ReturnType<typeof securitySubsystem> }> {
  const sec = securitySubsystem({});
  os = await boot({ stack: "bare", logger: silentLogger, add: [sec, toolsSubsystem({ browser: false })] });
  return { id: await os.spawn({ name: "worker", kind: "code", logic: idle, capabilities }), sec };
}

describe("tools under signed-token capabilities", () => {
  it("file tools: allowed, refused, and the symlink re-check through the token checker", async () => {
    const { id } = await start(["tool:file.read#call", `file:${dir}/**#read`]);
    await expect(os.syscall(id, "ToolCall", { tool: "file.read", args: { path: join(dir, "ok.txt") } })).resolves.toMatchObject({ content: "fine" });
    await expect(os.syscall(id, "ToolCall", { tool: "file.read", args: { path: join(dir, "escape") } })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
  });

  it.skipIf(!existsSync("/usr/bin/bwrap"))("shell allow-list constraints are read from the token's capability", async () => {
    const { id } = await start(["tool:shell.execute#call", "shell#exec{allow=[id]}"]);
    await expect(os.syscall(id, "ToolCall", { tool: "shell.execute", args: { command: "id", args: ["-u"] } })).resolves.toMatchObject({ exitCode: 0, stdout: "1000\n" });
    // The refusal names the one grant's list once (it listed the spec's capability twice).
    await expect(os.syscall(id, "ToolCall", { tool: "shell.execute", args: { command: "ls" } })).rejects.toMatchObject({
      code: "E_CAP_DENIED",
      message: 'shell#exec: command "ls" is not in the allowed commands [id]',
    });
  });

  it.skipIf(!existsSync("/usr/bin/bwrap"))("a shell grant delegated by CapGrant keeps its allow-list", async () => {
    const { id: parent } = await start(["tool:shell.execute#call", "shell#exec{allow=[id,ls]}"]);
    const child = await os.spawn({ name: "child", kind: "code", logic: idle, capabilities: ["tool:shell.execute#call"] });
    await expect(os.syscall(child, "ToolCall", { tool: "shell.execute", args: { command: "id" } })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    await os.syscall(parent, "CapGrant", { to: child, capability: "shell#exec{allow=[id]}" });
    await expect(os.syscall(child, "ToolCall", { tool: "shell.execute", args: { command: "id", args: ["-u"] } })).resolves.toMatchObject({ stdout: "1000\n" });
    await expect(os.syscall(child, "ToolCall", { tool: "shell.execute", args: { command: "ls" } })).rejects.toThrow(/"ls" is not in the allowed commands/);
  });
});
