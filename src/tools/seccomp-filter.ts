/**
 * The seccomp filter every sandboxed command runs under (bwrap --seccomp), as a classic BPF program
 * built here: the kernel interfaces a command has no business using, which widen the kernel attack
 * surface or escape the sandbox's view, answer EPERM instead of running.
 * - the wrong architecture (32-bit or x32 calls on x86-64, which a filter keyed on x86-64 numbers
 *   would not see) kills the process;
 * - new namespaces (unshare, setns, clone with a CLONE_NEW* flag), mounts and the new mount API,
 *   ptrace and cross-process memory access, kernel modules and kexec, bpf, perf events,
 *   userfaultfd, io_uring (its operations do not pass through seccomp), the kernel keyring,
 *   handle-based opens, and host administration calls are refused with EPERM;
 * - clone3 answers ENOSYS, because its flags live in memory a filter cannot read: the C library
 *   then falls back to clone, whose flags the filter checks.
 * Only x86-64 has a filter (the machines AIOS runs on); elsewhere `SECCOMP_SUPPORTED` is false and
 * the sandbox runs without one, as the threat model says.
 * bwrap reads the program from a descriptor to its end, so each sandbox gets a descriptor of its
 * own (`openSeccompFd`) on a file in a directory only this process's user can reach.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SECCOMP_SUPPORTED = process.arch === "x64" && process.platform === "linux";

// struct sock_filter codes
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;

const AUDIT_ARCH_X86_64 = 0xc000003e;
const X32_SYSCALL_BIT = 0x40000000;
const RET_KILL_PROCESS = 0x80000000;
const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;

/** x86-64 syscall numbers refused with EPERM. */
export const DENIED_SYSCALLS: Readonly<Record<string, number>> = {
  ptrace: 101, process_vm_readv: 310, process_vm_writev: 311, kcmp: 312,
  unshare: 272, setns: 308,
  mount: 165, umount2: 166, pivot_root: 155, chroot: 161,
  open_tree: 428, move_mount: 429, fsopen: 430, fsconfig: 431, fsmount: 432, fspick: 433, mount_setattr: 442,
  init_module: 175, finit_module: 313, delete_module: 176, kexec_load: 246, kexec_file_load: 320,
  bpf: 321, perf_event_open: 298, userfaultfd: 323,
  io_uring_setup: 425, io_uring_enter: 426, io_uring_register: 427,
  add_key: 248, request_key: 249, keyctl: 250,
  name_to_handle_at: 303, open_by_handle_at: 304, lookup_dcookie: 212,
  acct: 163, swapon: 167, swapoff: 168, reboot: 169, sethostname: 170, setdomainname: 171, iopl: 172, ioperm: 173, quotactl: 179,
  settimeofday: 164, clock_settime: 227, clock_adjtime: 305, adjtimex: 159,
};
const CLONE = 56;
const CLONE3 = 435;
/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET. */
const CLONE_NEW_ANY = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

type Insn = readonly [code: number, jt: number, jf: number, k: number];

/** The filter as instructions (jump offsets count instructions after the jump). */
export function seccompInstructions(): Insn[] {
  const denied = Object.values(DENIED_SYSCALLS);
  const p: Insn[] = [];
  p.push([LD_W_ABS, 0, 0, 4]); // arch
  p.push([JEQ_K, 1, 0, AUDIT_ARCH_X86_64]);
  p.push([RET_K, 0, 0, RET_KILL_PROCESS]);
  p.push([LD_W_ABS, 0, 0, 0]); // nr
  p.push([JGE_K, 0, 1, X32_SYSCALL_BIT]);
  p.push([RET_K, 0, 0, RET_KILL_PROCESS]);
  // After the list, at T: T+0 clone3? -> ENOSYS; T+1 clone? else allow; T+2 load args[0] (its low
  // word, offset 16); T+3 any CLONE_NEW* flag? -> EPERM; T+4 allow; T+5 EPERM; T+6 ENOSYS.
  // A jump lands at (its own index + 1 + offset).
  const n = denied.length;
  denied.forEach((nr, k) => p.push([JEQ_K, n - k + 4, 0, nr])); // -> T+5
  p.push([JEQ_K, 5, 0, CLONE3]); // -> T+6
  p.push([JEQ_K, 0, 2, CLONE]); // not clone -> T+4
  p.push([LD_W_ABS, 0, 0, 16]);
  p.push([JSET_K, 1, 0, CLONE_NEW_ANY]); // -> T+5
  p.push([RET_K, 0, 0, RET_ALLOW]);
  p.push([RET_K, 0, 0, RET_ERRNO | EPERM]);
  p.push([RET_K, 0, 0, RET_ERRNO | ENOSYS]);
  return p;
}

/** The program as bwrap reads it: struct sock_filter[] in the machine's byte order (little-endian). */
export function seccompProgram(): Buffer {
  const insns = seccompInstructions();
  const b = Buffer.alloc(insns.length * 8);
  insns.forEach(([code, jt, jf, k], i) => {
    b.writeUInt16LE(code, i * 8);
    b.writeUInt8(jt, i * 8 + 2);
    b.writeUInt8(jf, i * 8 + 3);
    b.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return b;
}

let programFile: string | undefined;

/** A new read descriptor of the program (close it once the sandbox's bwrap has been spawned). */
export function openSeccompFd(): number {
  if (programFile === undefined) {
    const dir = mkdtempSync(join(tmpdir(), "aios-seccomp-"));
    const file = join(dir, "filter.bpf");
    writeFileSync(file, seccompProgram(), { mode: 0o600 });
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    programFile = file;
  }
  return openSync(programFile, "r");
}

/** Runs `spawn` with a fresh program descriptor and closes it after (spawn has dup'ed it). */
export function withSeccompFd<T>(spawn: (fd: number | undefined) => T): T {
  if (!SECCOMP_SUPPORTED) return spawn(undefined);
  const fd = openSeccompFd();
  try {
    return spawn(fd);
  } finally {
    closeSync(fd);
  }
}
