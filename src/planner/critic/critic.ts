/**
 * The critic with veto: scores a task result or a plan answer on five weighted dimensions and
 * vetoes it below the threshold (default 0.85) or on a hard failure (unsafe content, a broken output
 * schema, failing tests), with the reasons. A scorer pipeline in Mastra's spirit:
 *   preprocess  normalise the answer, pick what the judge compares against (reference, else sources)
 *   analyze     deterministic checks (checks.ts) and the LLM judge asked twice with positions swapped
 *   score       per-dimension scores combined with the configured weights (weights.ts)
 *   reason      every failed check and every dimension under 0.7, plus the judge's inconsistency
 * The verdict is plain data; turning it into an event, an audit entry, a voided escrow or a retry is
 * the caller's (the lead's wiring). `combine` is exported so a verdict can be recomputed from one
 * judge order alone (the swap-consistency measurement).
 */
import { checkCitations, checkFormat, checkSafety, checkTests, type CheckResult, type TestReport } from "./checks.js";
import { judgeWithSwap, type JudgeModel, type JudgeScores } from "./judge.js";
import { checkWeights, CRITIC_DIMENSIONS, DEFAULT_THRESHOLD, DEFAULT_WEIGHTS, type CriticDimension, type CriticWeights } from "./weights.js";

export interface Source {
  readonly id: string;
  readonly text: string;
}

export interface CriticInput {
  readonly question?: string;
  readonly answer: string;
  readonly reference?: string;
  readonly sources?: readonly Source[];
  readonly outputSchema?: Readonly<Record<string, unknown>>;
  readonly testReport?: TestReport;
}

export interface Verdict {
  readonly accept: boolean;
  readonly score: number;
  readonly threshold: number;
  readonly dimensions: Readonly<Record<CriticDimension, number>>;
  readonly reasons: readonly string[];
  /** A hard check failed (safety, format, tests): rejected whatever the score. */
  readonly vetoedBy: readonly string[];
  readonly judge?: { readonly orders: readonly [JudgeScores, JudgeScores]; readonly maxDelta: number; readonly inconsistent: boolean };
}

export interface CriticOptions {
  readonly judge: JudgeModel;
  readonly weights?: CriticWeights;
  readonly threshold?: number;
  /** Largest per-dimension difference between the two orders before the verdict is flagged (0.25). */
  readonly inconsistency?: number;
}

export interface Checks {
  readonly format: CheckResult;
  readonly citations: CheckResult;
  readonly tests: CheckResult;
  readonly safety: CheckResult;
}

export class Critic {
  readonly weights: CriticWeights;
  readonly threshold: number;

  constructor(private readonly o: CriticOptions) {
    this.weights = checkWeights(o.weights ?? DEFAULT_WEIGHTS);
    this.threshold = o.threshold ?? DEFAULT_THRESHOLD;
  }

  async evaluate(input: CriticInput): Promise<Verdict> {
    // preprocess
    const answer = input.answer.trim();
    const reference = input.reference ?? input.sources?.map((s) => s.text).join("\n") ?? "";
    // analyze
    const checks: Checks = {
      format: checkFormat(answer, input.outputSchema),
      citations: checkCitations(answer, input.sources?.map((s) => s.id)),
      tests: checkTests(input.testReport),
      safety: checkSafety(answer),
    };
    const judged = await judgeWithSwap(this.o.judge, { question: input.question ?? "", candidate: stripCitations(answer), reference }, this.o.inconsistency);
    // score + reason
    const v = combine(checks, judged.mean, this.weights, this.threshold);
    const reasons = judged.inconsistent ? [...v.reasons, `judge: inconsistent under order swap (max difference ${judged.maxDelta.toFixed(2)})`] : v.reasons;
    return { ...v, reasons, judge: { orders: judged.orders, maxDelta: judged.maxDelta, inconsistent: judged.inconsistent } };
  }
}

/** Dimensions, weighted score and verdict from the checks and one set of judge scores. */
export function combine(checks: Checks, j: JudgeScores, weights: CriticWeights, threshold: number): Omit<Verdict, "judge"> {
  const dimensions: Record<CriticDimension, number> = {
    correctness: Math.min(j.correctness, checks.tests.score ?? 1),
    completeness: j.completeness,
    faithfulness: Math.min(j.faithfulness, checks.citations.score ?? 1),
    safety: checks.safety.score ?? 1,
    format: checks.format.score ?? 1,
  };
  let score = 0;
  for (const d of CRITIC_DIMENSIONS) score += weights[d] * dimensions[d];
  score = Math.round(score * 1000) / 1000;
  const all = [checks.format, checks.citations, checks.tests, checks.safety];
  const vetoedBy = all.filter((c) => c.veto).flatMap((c) => c.reasons);
  const reasons = [...all.flatMap((c) => c.reasons)];
  for (const d of ["correctness", "completeness", "faithfulness"] as const) if (dimensions[d] < 0.7) reasons.push(`${d}: ${dimensions[d].toFixed(2)} from the judge`);
  if (score < threshold) reasons.unshift(`score ${score.toFixed(3)} is below the threshold ${threshold}`);
  return { accept: vetoedBy.length === 0 && score >= threshold, score, threshold, dimensions, reasons, vetoedBy };
}

/** Citation markers are the deterministic check's business; the judge compares content. */
function stripCitations(s: string): string {
  return s.replace(/\s*\[[A-Za-z0-9_.:-]+\]/g, "");
}
