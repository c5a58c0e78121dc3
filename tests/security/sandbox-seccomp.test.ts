/**
 * Attacker's side of issue 15 item 10, "no seccomp filter" (real bubblewrap, real python3 calling
 * the kernel directly through ctypes): inside shell.execute, a command reaches for kernel interfaces
 * a sandboxed program has no business with. Without the filter these answered ESRCH, EFAULT, ENOSPC,
 * EINVAL or succeeded; with it each is EPERM, clone3 is ENOSYS (so the C library falls back to
 * clone, whose namespace flags the filter sees), and ordinary work (fork, pipes) still runs. The
 * same holds with a granted mount, whose descriptor comes before the filter's.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ToolRegistry, shellTool, type SandboxResult } from "../../src/tools/index.js";
import { DENIED_SYSCALLS, seccompInstructions } from "../../src/tools/seccomp-filter.js";
import { ctxFor } from "../tools/helpers.js";

const dir = mkdtempSync(join(tmpdir(), "aios-seccomp-test-"));
writeFileSync(join(dir, "data.txt"), "granted", { mode: 0o644 });
chmodSync(dir, 0o755); // the sandbox's uid is not ours
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const reg = new ToolRegistry();
reg.register(shellTool({ limits: { processes: 16, cpuSeconds: 10 } }));
const CAPS = ["tool:shell.execute#call", "shell#exec{allow=[python3]}", `file:${dir}/**#read`];

// Each probe: a name, the syscall number and its arguments. EPERM is errno 1.
const PROBES: readonly (readonly [string, number, readonly number[]])[] = [
  ["keyctl", 250, [0, 0, 0, 0, 0]],
  ["add_key", 248, [0, 0, 0, 0, 0]],
  ["ptrace_attach", 101, [16, 999_999, 0, 0]],
  ["process_vm_readv", 310, [1, 0, 0, 0, 0, 0]],
  ["io_uring_setup", 425, [1, 0]],
  ["unshare_user", 272, [0x10000000]],
  ["unshare_net", 272, [0x40000000]],
  ["setns", 308, [0, 0]],
  ["clone_newuser", 56, [0x10000000 | 17, 0, 0, 0, 0]],
  ["bpf", 321, [0, 0, 0]],
  ["perf_event_open", 298, [0, 0, -1, -1, 0]],
  ["userfaultfd", 323, [0]],
  ["open_by_handle_at", 304, [0, 0, 0]],
  ["fsopen", 430, [0, 0]],
];

const PROBE = `
import ctypes, json, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
out = {}
for name, nr, args in json.loads(sys.argv[1]):
    ctypes.set_errno(0)
    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
    out[name] = [r, ctypes.get_errno()]
ctypes.set_errno(0)
out["clone3"] = [libc.syscall(ctypes.c_long(435), ctypes.c_long(0), ctypes.c_long(0)), ctypes.get_errno()]
pid = os.fork()
if pid == 0:
    os._exit(7)
out["fork"] = os.waitpid(pid, 0)[1] >> 8
r, w = os.pipe()
os.write(w, b"pipe ok")
out["pipe"] = os.read(r, 16).decode()
if len(sys.argv) > 2:
    out["mount"] = open(sys.argv[2]).read()
print(json.dumps(out))
`;

async function probe(mount: boolean): Promise<Record<string, unknown>> {
  const args = ["-c", PROBE, JSON.stringify(PROBES), ...(mount ? [join(dir, "data.txt")] : [])];
  const r = (await reg.execute("shell.execute", { command: "python3", args, ...(mount ? { mounts: [{ path: dir }] } : {}) }, ctxFor(CAPS))) as SandboxResult;
  expect(r.stderr).toBe("");
  expect(r.exitCode).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe("the shell sandbox's seccomp filter", () => {
  it.each([["without mounts", false], ["with a granted mount", true]])("refuses the kernel interfaces a command must not use (%s)", async (_label, mount) => {
    for (let round = 0; round < 2; round++) {
      // Twice: the first call may set up a sandbox and the second take a prepared one.
      const out = await probe(mount);
      for (const [name] of PROBES) expect([name, out[name]]).toEqual([name, [-1, 1]]);
      expect(out["clone3"]).toEqual([-1, 38]);
      expect(out["fork"]).toBe(7);
      expect(out["pipe"]).toBe("pipe ok");
      if (mount) expect(out["mount"]).toBe("granted");
    }
  });

  it("is a well-formed program whose every jump lands inside it", () => {
    const p = seccompInstructions();
    p.forEach(([code, jt, jf], i) => {
      if ((code & 0x07) === 0x05) {
        expect(i + 1 + jt).toBeLessThan(p.length);
        expect(i + 1 + jf).toBeLessThan(p.length);
      }
    });
    expect(p.length).toBeLessThan(4096); // BPF_MAXINSNS
    expect(Object.keys(DENIED_SYSCALLS).length).toBeGreaterThan(40);
  });
});
