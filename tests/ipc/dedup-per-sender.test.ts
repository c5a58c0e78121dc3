/**
 * De-duplication is per sender: an agent cannot have another sender's message dropped by taking its
 * id first. The window was keyed by message id alone, so an agent with a send right to a durable
 * recipient sent an envelope under an id another sender would use (an idempotency key such as
 * "order-42"); the other sender's message was then dropped as a duplicate and acknowledged to it as
 * delivered, and the recipient handled the attacker's payload under that id instead. A retry by the
 * same sender is still dropped, before and after a restart.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { boot } from "../../src/index.js";
import { send } from "../../src/ipc/index.js";
import { bootOptions, recorderSpec } from "./fixtures/durable-recorder.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("an envelope id taken first by another sender", () => {
  it("does not make a sender's message a duplicate; the sender's own retry still is", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-dedup-sender-"));
    dirs.push(dir);
    let os = await boot(bootOptions(dir));
    const rec = await os.spawn(recorderSpec);
    const idle = { init: () => null, receive: (s: null) => s };
    const mallory = await os.spawn({ name: "mallory", kind: "code", logic: idle, capabilities: [`agent:${rec}#send`] });
    // Durable, so it is there again after the restart.
    const victim = await os.spawn({ ...recorderSpec, name: "victim", capabilities: [`agent:${rec}#send`] });
    // Mallory takes the id the victim will use, as an envelope of its own.
    const planted = await os.syscall(mallory, "SemanticSend", { to: rec, payload: "evil", id: "order-42", performative: "inform" });
    expect(planted).toMatchObject({ delivered: [rec] });
    const real = await os.syscall(victim, "SemanticSend", { to: rec, payload: "real", id: "order-42", performative: "inform" });
    expect(real).toMatchObject({ delivered: [rec] });
    // The victim's retry of the same message is a duplicate, as it must be.
    expect(await os.syscall(victim, "SemanticSend", { to: rec, payload: "real", id: "order-42", performative: "inform" })).toMatchObject({ delivered: [], deadLettered: [] });
    expect(await os.request(rec, { get: true })).toEqual(["order-42:evil", "order-42:real"]);
    await os.shutdown();

    // After a restart the window is back, still per sender.
    os = await boot(bootOptions(dir));
    expect(await send(os, { to: rec, payload: "again", id: "order-42" }, victim)).toMatchObject({ delivered: [], duplicates: 1 });
    expect(await send(os, { to: rec, payload: "op", id: "order-42" })).toMatchObject({ delivered: [rec], duplicates: 0 });
    expect(await os.request(rec, { get: true })).toEqual(["order-42:evil", "order-42:real", "order-42:op"]);
    await os.shutdown();
  }, 60_000);
});
