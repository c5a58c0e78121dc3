/**
 * Attacker's side of issue 15 item 10, "the allow-list checks only the program name": with
 * `shell#exec{allow=[find]}` an agent ran a shell through `find -exec sh`. A grant can now refuse the
 * arguments that make an allowed program start another (`denyargs=[-exec,-execdir,-ok,-okdir]`),
 * in the real sandbox; a delegated capability cannot drop or shorten that list (attenuation), and a
 * list that does not parse is refused when the capability is.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { covers, parseCapability } from "../../src/capability/index.js";
import { isAiosError } from "../../src/core/index.js";
import { ToolRegistry, shellTool, type SandboxResult } from "../../src/tools/index.js";
import { ctxFor } from "../tools/helpers.js";
import { refusalOf } from "./refusal.js";

const reg = new ToolRegistry();
reg.register(shellTool({ limits: { processes: 16, cpuSeconds: 10 } }));
const GUARDED = ["tool:shell.execute#call", "shell#exec{allow=[find],denyargs=[-exec,-execdir,-ok,-okdir,-fprint]}"];
const OPEN = ["tool:shell.execute#call", "shell#exec{allow=[find]}"];

const run = (caps: string[], args: string[]): Promise<SandboxResult> => reg.execute("shell.execute", { command: "find", args }, ctxFor(caps)) as Promise<SandboxResult>;

describe("shell#exec argument rules", () => {
  it("without them, find -exec runs a shell (the hole as found)", async () => {
    const r = await run(OPEN, ["/usr/bin/env", "-maxdepth", "0", "-exec", "sh", "-c", "echo SHELL-RAN", ";"]);
    expect(r.stdout).toContain("SHELL-RAN");
  });

  it("with denyargs, every form of running another program through find is refused, and nothing runs", async () => {
    for (const args of [
      ["/usr/bin/env", "-maxdepth", "0", "-exec", "sh", "-c", "echo SHELL-RAN", ";"],
      ["/usr/bin/env", "-maxdepth", "0", "-execdir", "sh", "-c", "echo SHELL-RAN", "+"],
      ["/usr/bin/env", "-maxdepth", "0", "-ok", "sh", ";"],
      ["/usr/bin/env", "-maxdepth", "0", "-okdir", "sh", ";"],
      ["/usr/bin/env", "-fprint=/tmp/x"],
    ]) {
      const out = await refusalOf(run(GUARDED, args));
      expect(out).toMatch(/^E_CAP_DENIED: shell#exec: argument "-(exec|execdir|ok|okdir|fprint(=\/tmp\/x)?)" of find is refused by the grant's denyargs$/);
    }
  });

  it("with denyargs, find still does its job", async () => {
    const r = await run(GUARDED, ["/usr/bin", "-maxdepth", "1", "-name", "env"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toBe("/usr/bin/env");
  });

  it("a delegated capability cannot drop or shorten the list", () => {
    const parent = parseCapability("shell#exec{allow=[find],denyargs=[-exec,-ok]}");
    expect(covers(parent, parseCapability("shell#exec{allow=[find]}"))).toBe(false);
    expect(covers(parent, parseCapability("shell#exec{allow=[find],denyargs=[-exec]}"))).toBe(false);
    expect(covers(parent, parseCapability("shell#exec{allow=[find],denyargs=[-ok,-exec,-delete]}"))).toBe(true);
    fc.assert(
      fc.property(fc.uniqueArray(fc.constantFrom("-exec", "-execdir", "-ok", "-okdir", "-delete"), { maxLength: 5 }), fc.uniqueArray(fc.constantFrom("-exec", "-execdir", "-ok", "-okdir", "-delete"), { maxLength: 5 }), (p, c) => {
        const ok = covers(parseCapability(`shell#exec{denyargs=[${p.join(",")}]}`), parseCapability(`shell#exec{denyargs=[${c.join(",")}]}`));
        expect(ok).toBe(p.every((x) => c.includes(x)));
      }),
    );
  });

  it("a denyargs that is not a list is refused when the capability is parsed", () => {
    let err: unknown;
    try {
      parseCapability("shell#exec{denyargs=-exec}");
    } catch (e) {
      err = e;
    }
    expect(isAiosError(err, "E_INVALID_ARG")).toBe(true);
    expect((err as Error).message).toContain("denyargs=-exec must be a list");
  });
});
