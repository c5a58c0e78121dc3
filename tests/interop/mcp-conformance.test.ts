/**
 * The official MCP conformance suite (@modelcontextprotocol/conformance, pinned) at protocol
 * revision 2025-11-25, as `npm run conformance` runs it (scripts/conformance/run.ts):
 * - server mode: the suite drives AIOS's MCP server code (McpEndpoint, sessions, the stateless
 *   path) serving the conformance fixture; all 30 required scenarios must pass;
 * - client mode: the suite spawns AIOS's MCP client (McpConnection, OAuth, elicitation) against its
 *   own scenario servers and authorization servers; all 18 required scenarios must pass.
 * The expected-failures file is empty, so the suite's own exit code must be 0 as well.
 * The suite runs its client scenarios in parallel processes; on a loaded machine that takes
 * minutes, hence the long timeouts (the assertions are about outcomes, never about time).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runConformance, summaryLine } from "../../scripts/conformance/run.js";

const SUITE_TIMEOUT = 15 * 60_000;

describe("MCP conformance suite, revision 2025-11-25", () => {
  it("leaves the expected-failures baseline empty", () => {
    const baseline = parse(readFileSync("scripts/conformance/expected-failures.yaml", "utf8")) as { server: unknown[]; client: unknown[] };
    expect(baseline).toEqual({ server: [], client: [] });
  });

  it("server mode: 30 of 30 required scenarios pass against AIOS's MCP server", { timeout: SUITE_TIMEOUT }, async () => {
    const [server] = await runConformance({ modes: ["server"] });
    process.stdout.write(`${summaryLine(server!)}\n`);
    expect(server!.failed, server!.output).toEqual([]);
    expect(server!.required).toHaveLength(30);
    expect(server!.passed).toHaveLength(30);
    expect(server!.exitCode).toBe(0);
  });

  it("client mode: 18 of 18 required scenarios pass with AIOS's MCP client, OAuth included", { timeout: SUITE_TIMEOUT }, async () => {
    const [client] = await runConformance({ modes: ["client"] });
    process.stdout.write(`${summaryLine(client!)}\n`);
    expect(client!.failed, client!.output).toEqual([]);
    expect(client!.required).toHaveLength(18);
    expect(client!.passed).toHaveLength(18);
    expect(client!.required.filter((n) => n.startsWith("auth/"))).toHaveLength(14);
    expect(client!.exitCode).toBe(0);
  });
});
