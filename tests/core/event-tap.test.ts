/**
 * The event bus's taps: told each event of their types synchronously inside emit, with its data and
 * agent and no event object; a type only taps want is wanted, but no subscriber sees it; a tap that
 * throws is counted, never thrown to the emitter; an unsubscribed tap is told nothing more.
 */
import { describe, expect, it } from "vitest";
import { EventBus, type AgentId, type AnyKernelEvent } from "../../src/core/index.js";

const A = "ag_tap" as AgentId;

describe("event bus: taps", () => {
  it("tells a tap synchronously, by type and prefix, and builds no event for a type only taps want", async () => {
    const bus = new EventBus();
    const told: [string, unknown, AgentId | undefined][] = [];
    const tap = bus.tap(["syscall.completed", "agent.*"], (type, data, agent) => void told.push([type, data, agent]));
    expect(bus.wants("syscall.completed")).toBe(true);
    expect(bus.wants("agent.crashed")).toBe(true);
    expect(bus.wants("syscall.denied")).toBe(false);
    const data = { name: "Noop", ok: true, durationUs: 3 };
    bus.emit("syscall.completed", data, A);
    bus.emit("agent.transition", { op: "spawn", from: "none", to: "running" }, A);
    bus.emit("syscall.denied", { name: "Noop", reason: "no", code: "E_CAP_DENIED" }, A);
    // Told before emit returned, with the emitter's own data object.
    expect(told.map(([t]) => t)).toEqual(["syscall.completed", "agent.transition"]);
    expect(told[0]?.[1]).toBe(data);
    expect(told[0]?.[2]).toBe(A);
    expect(tap.delivered).toBe(2);
    expect(tap.dropped).toBe(0);

    // A subscriber of another type: the tapped type still builds no event for it.
    const seen: AnyKernelEvent[] = [];
    bus.subscribe({ types: ["syscall.*"] }, (e) => void seen.push(e));
    bus.emit("syscall.completed", data, A);
    bus.emit("agent.transition", { op: "kill", from: "running", to: "killed" }, A);
    await new Promise((r) => setImmediate(r));
    expect(seen.map((e) => [e.type, e.data])).toEqual([["syscall.completed", data]]);
    expect(told.map(([t]) => t)).toEqual(["syscall.completed", "agent.transition", "syscall.completed", "agent.transition"]);

    tap.unsubscribe();
    bus.emit("agent.transition", { op: "kill", from: "running", to: "killed" }, A);
    expect(told).toHaveLength(4);
    expect(bus.wants("agent.transition")).toBe(false);
  });

  it("counts a tap's exception and goes on to the other taps and subscribers", async () => {
    const bus = new EventBus();
    let second = 0;
    bus.tap(["agent.crashed"], () => {
      throw new Error("tap failed");
    });
    bus.tap([], () => void second++);
    const seen: AnyKernelEvent[] = [];
    bus.subscribe({ types: ["agent.crashed"] }, (e) => void seen.push(e));
    expect(() => bus.emit("agent.crashed", { error: { code: "E_TOOL", message: "x", retryable: false } }, A)).not.toThrow();
    await new Promise((r) => setImmediate(r));
    expect(bus.errors).toBe(1);
    expect(second).toBe(1);
    expect(seen).toHaveLength(1);
  });
});
