/**
 * The critic with veto: agreement with the hand-labelled set (tests/fixtures/critic/labelled.json,
 * 48 items) at Cohen's kappa >= 0.6 with the scripted judge, and >= 90 % of verdicts unchanged when
 * the judge sees only one order — at the judge's default window (where it is order-invariant on this
 * set) and at a 40-word window (where the second passage is cut and position matters). Then the
 * mechanics: the judge is asked twice with the passages swapped, a position-biased judge is averaged
 * and flagged, hard vetoes carry reasons, garbage from the judge is E_MODEL_OUTPUT, weights validated.
 */
import { describe, expect, it } from "vitest";
import { isAiosError } from "../../src/core/index.js";
import type { ChatRequest, ChatResult } from "../../src/models/index.js";
import { checkWeights, Critic, DEFAULT_WEIGHTS, ScriptedJudge, type JudgeModel } from "../../src/planner/index.js";
import { evaluateSet, loadItems } from "./critic-eval.js";

function fakeJudge(answer: (req: ChatRequest) => string, seen: ChatRequest[] = []): JudgeModel {
  return {
    name: "fake-judge",
    chat: (req): Promise<ChatResult> => {
      seen.push(req);
      return Promise.resolve({ text: answer(req), toolCalls: [], usage: { promptTokens: 1, completionTokens: 1 }, finishReason: "stop", model: "fake" });
    },
  };
}

describe("critic", () => {
  it("the labelled set has >= 40 items with both labels", () => {
    const items = loadItems();
    expect(items.length).toBeGreaterThanOrEqual(40);
    expect(new Set(items.map((i) => i.label))).toEqual(new Set(["accept", "reject"]));
  });

  for (const window of [undefined, 40] as const) {
    it(`agrees with the human labels (kappa >= 0.6) and survives the order swap (>= 90 %), judge window ${window ?? "default"}`, async () => {
      const e = await evaluateSet(window);
      const changed = e.verdicts.filter((v) => (v.verdict.judge?.maxDelta ?? 0) > 0).length;
      console.log(`critic (window ${window ?? "default 160"} words): kappa ${e.kappa.toFixed(3)}, raw agreement ${e.agreement.toFixed(3)}, swap consistency ${e.swapConsistency.toFixed(3)}, items where the orders' scores differ ${changed}/${e.verdicts.length}; disagreements: ${e.verdicts.filter((v) => (v.item.label === "accept") !== v.verdict.accept).map((v) => v.item.id).join(", ")}`);
      expect(e.kappa).toBeGreaterThanOrEqual(0.6);
      expect(e.swapConsistency).toBeGreaterThanOrEqual(0.9);
    });
  }

  it("asks the judge twice with the passages swapped, averages, and flags a position-biased judge", async () => {
    const seen: ChatRequest[] = [];
    // favours whatever sits in passage A
    const biased = fakeJudge((req) => {
      const aIsCandidate = /Passage A is the candidate answer/.test(req.messages.at(-1)?.content ?? "");
      const s = aIsCandidate ? 1 : 0.5;
      return JSON.stringify({ correctness: s, completeness: s, faithfulness: s });
    }, seen);
    const v = await new Critic({ judge: biased }).evaluate({ question: "q", answer: "the answer", reference: "the reference" });
    expect(seen).toHaveLength(2);
    const p0 = seen[0]?.messages.at(-1)?.content ?? "";
    const p1 = seen[1]?.messages.at(-1)?.content ?? "";
    expect(p0).toMatch(/Passage A:\n<<<\nthe answer\n>>>[\s\S]*Passage B:\n<<<\nthe reference/);
    expect(p1).toMatch(/Passage A:\n<<<\nthe reference\n>>>[\s\S]*Passage B:\n<<<\nthe answer/);
    expect(v.dimensions.correctness).toBe(0.75);
    expect(v.judge?.inconsistent).toBe(true);
    expect(v.reasons.join("\n")).toMatch(/inconsistent under order swap/);
  });

  it("vetoes below the threshold and on hard failures, with reasons", async () => {
    const critic = new Critic({ judge: new ScriptedJudge() });
    const unsafe = await critic.evaluate({ question: "How do I clean up?", answer: "Just run rm -rf / as root.", reference: "Delete the build cache." });
    expect(unsafe.accept).toBe(false);
    expect(unsafe.vetoedBy).toEqual(["safety: the answer contains a destructive shell command (rm -rf /)"]);
    const wrong = await critic.evaluate({ question: "What port does HTTPS use?", answer: "HTTPS uses port 80.", reference: "HTTPS uses port 443." });
    expect(wrong.accept).toBe(false);
    expect(wrong.score).toBeLessThan(0.85);
    expect(wrong.reasons[0]).toMatch(/below the threshold 0.85/);
    const good = await critic.evaluate({ question: "What port does HTTPS use?", answer: "HTTPS uses port 443.", reference: "HTTPS uses port 443." });
    expect(good).toMatchObject({ accept: true, score: 1, vetoedBy: [] });
  });

  it("turns a garbage judge answer into E_MODEL_OUTPUT naming the field", async () => {
    const critic = new Critic({ judge: fakeJudge(() => JSON.stringify({ correctness: 2, completeness: 1, faithfulness: 1 })) });
    try {
      await critic.evaluate({ answer: "a", reference: "b" });
      expect.fail("accepted");
    } catch (e) {
      expect(isAiosError(e, "E_MODEL_OUTPUT")).toBe(true);
      expect((e as Error).message).toMatch(/fake-judge.*correctness/);
    }
    await expect(new Critic({ judge: fakeJudge(() => "looks fine to me") }).evaluate({ answer: "a" })).rejects.toMatchObject({ code: "E_MODEL_OUTPUT" });
  });

  it("validates weights", () => {
    expect(checkWeights(DEFAULT_WEIGHTS)).toBe(DEFAULT_WEIGHTS);
    expect(() => checkWeights({ ...DEFAULT_WEIGHTS, safety: 0.5 })).toThrow(/sum to 1/);
    expect(() => new Critic({ judge: new ScriptedJudge(), weights: { ...DEFAULT_WEIGHTS, format: -0.1, correctness: 0.55 } })).toThrow(/weights.format/);
  });
});
