/**
 * ADR 0053 on a real small disk (a 3 MiB tmpfs): a durable agent's send to a durable agent goes on
 * while its letter commits. When the journal then refuses that letter (E_STORAGE_FULL), the sender
 * went on from a send the journal does not have, so it is ended `failed` and the error reported, as
 * the recipient that was handed the letter is (ADR 0052): neither goes on from a state the journal
 * lacks. Needs root to mount (CI has it).
 */
import { unlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger, type AgentId } from "../../src/core/index.js";
import { boot } from "../../src/index.js";
import { type AgentLogic } from "../../src/abi/index.js";
import { fillDisk, useSmallDisk } from "./small-disk.js";

const disk = useSmallDisk("3m");

let gate: Promise<void> = Promise.resolve();
let target = "";
const wentOn: string[] = [];

const sender: AgentLogic = {
  init: () => null,
  async receive(s, _m, ctx) {
    await gate;
    // 48 KB: the letter's record needs new pages, so it fails while the disk is full.
    await ctx.send(target as AgentId, "x".repeat(48 * 1024));
    wentOn.push("sent");
    return s;
  },
};
const sink: AgentLogic = { init: () => null, receive: (s) => s };

describe("a durable agent's send the journal refuses (ADR 0053)", () => {
  it("ends the sender, which went on from it, and the recipient it was handed to", async () => {
    const data = join(disk.path, "data");
    // The default stack: a send takes the door's derived fast path there (the bare stack's full
    // SemanticSend journals an intent first, which waits for its commit).
    const os = await boot({ dataDir: data, logger: silentLogger, logics: { sender, sink }, subsystems: { embedder: false, memory: false, mcp: false } });
    try {
      const b = await os.spawn({ name: "sink", kind: "code", logic: "sink", durable: true });
      target = b;
      const a = await os.spawn({ name: "sender", kind: "code", logic: "sender", durable: true, capabilities: [`agent:${b}#send`] });
      let open: () => void = () => undefined;
      gate = new Promise((r) => (open = r));
      await os.send(a, "go");
      const refused = new Promise<void>((resolve) => {
        os.kernel.events.subscribe({ types: ["kernel.error"] }, (e) => {
          if (e.type === "kernel.error" && e.data.error.code === "E_STORAGE_FULL") resolve();
        });
      });
      const filler = fillDisk(disk.path);
      open();
      await refused;
      unlinkSync(filler);
      for (let i = 0; i < 100 && os.ps().some((p) => p.status === "running"); i++) await new Promise((r) => setTimeout(r, 10));
      // The sender did go on (its send resolved before the commit), and was ended for it.
      expect(wentOn).toEqual(["sent"]);
      const status = Object.fromEntries(os.ps().map((p) => [p.name, p.status]));
      expect(status).toEqual({ sender: "failed", sink: "failed" });
      expect(os.ps().find((p) => p.name === "sender")?.exitReason).toContain("the journal refused a record it went on from");
    } finally {
      await os.shutdown("test");
    }
  }, 60_000);
});
