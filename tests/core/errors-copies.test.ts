/**
 * An AiosError made by another copy of core/errors (the CLI from dist/ running an agent module that
 * imports src/ through tsx) is still an AiosError: instanceof and isAiosError see its code, and a
 * plain Error or a look-alike without the brand is not one.
 */
import { describe, expect, it, vi } from "vitest";
import { AiosError, isAiosError, toAiosError } from "../../src/core/index.js";

describe("AiosError across module copies", () => {
  it("is recognised by another copy's instanceof and isAiosError", async () => {
    vi.resetModules();
    const copy = await import("../../src/core/errors.js");
    expect(copy.AiosError).not.toBe(AiosError);
    const e = new copy.AiosError("E_CAP_DENIED", "no token");
    expect(e instanceof AiosError).toBe(true);
    expect(isAiosError(e, "E_CAP_DENIED")).toBe(true);
    expect(toAiosError(e)).toBe(e);
    expect(new AiosError("E_QUOTA", "x") instanceof copy.AiosError).toBe(true);
  });

  it("does not take a plain Error or a look-alike for one", () => {
    expect(new Error("x") instanceof AiosError).toBe(false);
    expect(isAiosError({ name: "AiosError", code: "E_QUOTA", message: "x" })).toBe(false);
    expect(isAiosError(null)).toBe(false);
    expect(toAiosError(new Error("boom")).code).toBe("E_INTERNAL");
  });
});
