/**
 * A deterministic local judge for tests and offline runs: it reads the critic's prompt like a small
 * model would and scores by overlap — no network, no weights, same answer every time.
 *   correctness   1 minus penalties: numbers in the candidate that the reference does not contain,
 *                 a negation on one side only, and little shared vocabulary
 *   completeness  recall of the reference's content words (full marks from 60 %), minus missing numbers
 *   faithfulness  share of the candidate's sentences whose content words are mostly in the reference
 * Its position bias is real, not simulated noise: like a small model with a short window it reads at
 * most `contextWords` words of the two passages in prompt order, so whichever passage comes second
 * is cut when the pair is long. That is what the critic's position swap has to average out.
 */
import type { ChatRequest, ChatResult } from "../../models/index.js";
import type { JudgeModel } from "./judge.js";
import { contentWords, hasNegation, numbers, sentences, words } from "./text.js";

export interface ScriptedJudgeOptions {
  readonly contextWords?: number;
}

export class ScriptedJudge implements JudgeModel {
  readonly name = "scripted-judge";
  private readonly budget: number;

  constructor(o: ScriptedJudgeOptions = {}) {
    this.budget = o.contextWords ?? 160;
  }

  chat(req: ChatRequest): Promise<ChatResult> {
    const prompt = req.messages.at(-1)?.content ?? "";
    const passages = [...prompt.matchAll(/<<<\n([\s\S]*?)\n>>>/g)].map((m) => m[1] ?? "");
    const candidateIsA = /Passage A is the candidate answer/.test(prompt);
    const question = /Question: (.*)/.exec(prompt)?.[1] ?? "";
    const [a = "", b = ""] = passages;
    // read in prompt order within the window: the second passage gets what is left
    const aw = words(a);
    const readA = aw.slice(0, this.budget).join(" ");
    const readB = words(b).slice(0, Math.max(0, this.budget - aw.length)).join(" ");
    const [cand, ref] = candidateIsA ? [readA, readB] : [readB, readA];
    const scores = score(question, cand, ref);
    return Promise.resolve({ text: JSON.stringify(scores), toolCalls: [], usage: { promptTokens: words(prompt).length, completionTokens: 12 }, finishReason: "stop", model: this.name });
  }
}

const clamp = (x: number): number => Math.round(Math.min(1, Math.max(0, x)) * 1000) / 1000;

function score(question: string, cand: string, ref: string): { correctness: number; completeness: number; faithfulness: number } {
  const C = new Set(contentWords(cand));
  const R = new Set(contentWords(ref));
  const Q = new Set(contentWords(question));
  if (C.size === 0) return { correctness: 0, completeness: 0, faithfulness: 0 };
  const shared = [...C].filter((w) => R.has(w)).length;
  const precision = shared / C.size;
  const recall = R.size === 0 ? 1 : shared / R.size;
  const cn = numbers(cand);
  const rn = new Set(numbers(ref));
  const wrongNums = cn.filter((n) => !rn.has(n)).length;
  const missingNums = rn.size === 0 ? 0 : [...rn].filter((n) => !cn.includes(n)).length / rn.size;
  const negation = R.size > 0 && hasNegation(cand) !== hasNegation(ref) ? 0.4 : 0;
  const correctness = 1 - Math.min(0.8, 0.45 * wrongNums) - negation - (precision < 0.35 ? (0.35 - precision) * 1.5 : 0);
  const completeness = Math.min(1, recall / 0.6) - 0.5 * missingNums;
  const sents = sentences(cand);
  const supported = sents.filter((s) => {
    const w = contentWords(s).filter((x) => !Q.has(x));
    return w.length === 0 || w.filter((x) => R.has(x)).length / w.length >= 0.5;
  }).length;
  const faithfulness = sents.length === 0 ? 0 : supported / sents.length;
  return { correctness: clamp(correctness), completeness: clamp(completeness), faithfulness: clamp(faithfulness) };
}
