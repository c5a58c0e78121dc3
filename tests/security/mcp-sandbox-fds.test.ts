/**
 * A sandboxed MCP stdio server that cannot start leaks no descriptor: when a later mount source (or
 * the seccomp program) cannot be opened, the descriptors already opened for the earlier mounts are
 * closed before the start is refused. Repeated a few hundred times, as a server that keeps failing
 * to restart with backoff would, the process's descriptor table stays the same size.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AiosError } from "../../src/core/index.js";
import { SandboxedStdioTransport, SERVER_LIMITS } from "../../src/tools/mcp/sandboxed-stdio.js";

const dir = mkdtempSync(join(tmpdir(), "aios-mcp-fds-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const openFds = (): number => readdirSync("/proc/self/fd").length;

describe("a sandboxed MCP server that cannot start", () => {
  it("closes the mount descriptors it opened before the failing one", async () => {
    const server = {
      command: "/usr/bin/true",
      args: [],
      mounts: [
        { source: dir, path: "/data/a", write: false },
        { source: dir, path: "/data/b", write: false },
        { source: join(dir, "missing"), path: "/data/c", write: false },
      ],
      network: false,
      env: {},
      limits: SERVER_LIMITS,
      uid: 1000,
      hostUid: 65534,
      bwrapPath: "/usr/bin/bwrap",
    };
    const before = openFds();
    for (let i = 0; i < 300; i++) {
      const err = await new SandboxedStdioTransport(server).start().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AiosError);
      expect((err as AiosError).code).toBe("E_SANDBOX");
      expect((err as AiosError).message).toContain("missing");
    }
    expect(openFds()).toBe(before);
  });
});
