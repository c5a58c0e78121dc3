/**
 * The LLM judge port and its protocol. The judge is any `chat`-capable model (models/ ModelProvider
 * shape); it sees the question and two passages, A and B, told which one is the candidate answer and
 * which the reference, and answers JSON {correctness, completeness, faithfulness} in [0,1]. Position
 * swap: the critic asks twice — candidate as A, then candidate as B — and averages; a difference
 * above `inconsistency` on any dimension flags the verdict as inconsistent (judges favour a position;
 * averaging cancels a constant bias, the flag shows when it was not constant). Garbage answers are
 * E_MODEL_OUTPUT naming the model and the field.
 */
import { z } from "zod";
import { AiosError } from "../../core/index.js";
import type { ChatRequest, ChatResult } from "../../models/index.js";

export interface JudgeModel {
  readonly name: string;
  chat(req: ChatRequest): Promise<ChatResult>;
}

export interface JudgeInput {
  readonly question: string;
  readonly candidate: string;
  /** The reference answer, or the sources' text when there is none. */
  readonly reference: string;
}

export interface JudgeScores {
  readonly correctness: number;
  readonly completeness: number;
  readonly faithfulness: number;
}

export type Order = "candidate-first" | "reference-first";

const Score = z.number().min(0).max(1);
const JudgeAnswer = z.object({ correctness: Score, completeness: Score, faithfulness: Score });
export const JUDGE_SCHEMA: Record<string, unknown> = z.toJSONSchema(JudgeAnswer);

export function judgeRequest(input: JudgeInput, order: Order): ChatRequest {
  const [a, b] = order === "candidate-first" ? [input.candidate, input.reference] : [input.reference, input.candidate];
  const which = order === "candidate-first" ? "Passage A is the candidate answer; Passage B is the reference." : "Passage A is the reference; Passage B is the candidate answer.";
  const user = [
    `Question: ${input.question}`,
    `Passage A:\n<<<\n${a}\n>>>`,
    `Passage B:\n<<<\n${b}\n>>>`,
    which,
    "Score the candidate answer against the reference, each in [0,1]: correctness (no claim contradicts the reference),",
    "completeness (it covers what the reference says that the question asks for), faithfulness (its claims are supported",
    "by the reference). Answer with JSON only: {\"correctness\": n, \"completeness\": n, \"faithfulness\": n}.",
  ].join("\n");
  return {
    messages: [{ role: "system", content: "You are a strict, fair grader. Judge content, not the position of a passage." }, { role: "user", content: user }],
    output: { name: "judgement", schema: JUDGE_SCHEMA },
  };
}

export async function askJudge(model: JudgeModel, input: JudgeInput, order: Order): Promise<JudgeScores> {
  const res = await model.chat(judgeRequest(input, order));
  const body = /```(?:json)?\s*([\s\S]*?)```/.exec(res.text)?.[1] ?? res.text;
  let raw: unknown;
  try {
    raw = JSON.parse(body.trim());
  } catch {
    throw new AiosError("E_MODEL_OUTPUT", `judge model "${model.name}": the answer is not JSON`, { details: { path: "judge", model: model.name } });
  }
  const r = JudgeAnswer.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new AiosError("E_MODEL_OUTPUT", `judge model "${model.name}": ${i?.path.map(String).join(".") || "(root)"}: ${i?.message ?? "invalid"}`, { details: { path: `judge.${i?.path.map(String).join(".") ?? ""}`, model: model.name } });
  }
  return r.data;
}

export interface SwappedJudgement {
  readonly mean: JudgeScores;
  readonly orders: readonly [JudgeScores, JudgeScores];
  readonly maxDelta: number;
  readonly inconsistent: boolean;
}

export async function judgeWithSwap(model: JudgeModel, input: JudgeInput, inconsistency = 0.25): Promise<SwappedJudgement> {
  const first = await askJudge(model, input, "candidate-first");
  const second = await askJudge(model, input, "reference-first");
  const keys = ["correctness", "completeness", "faithfulness"] as const;
  const mean = Object.fromEntries(keys.map((k) => [k, (first[k] + second[k]) / 2])) as unknown as JudgeScores;
  const maxDelta = Math.max(...keys.map((k) => Math.abs(first[k] - second[k])));
  return { mean, orders: [first, second], maxDelta, inconsistent: maxDelta > inconsistency };
}
