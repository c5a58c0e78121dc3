/**
 * The critic's deterministic checks (no model involved): the output schema (format), citations
 * present and pointing only at the sources given (faithfulness), a test report (correctness capped
 * by the pass rate; any failure is a veto reason) and safety patterns (secrets, private keys,
 * destructive shell commands). Each returns a score in [0,1] or undefined (not applicable) and reasons.
 */
import { compileJsonSchema } from "../graph/index.js";
import { citations } from "./text.js";

export interface TestReport {
  readonly passed: number;
  readonly failed: number;
}

export interface CheckResult {
  readonly score: number | undefined;
  readonly reasons: readonly string[];
  /** A hard veto: the result is rejected whatever the weighted sum. */
  readonly veto: boolean;
}

const NA: CheckResult = { score: undefined, reasons: [], veto: false };

export function checkFormat(answer: string, schema: Readonly<Record<string, unknown>> | undefined): CheckResult {
  if (answer.trim() === "") return { score: 0, reasons: ["format: the answer is empty"], veto: true };
  if (schema === undefined) return { score: 1, reasons: [], veto: false };
  let value: unknown;
  try {
    value = JSON.parse(/```(?:json)?\s*([\s\S]*?)```/.exec(answer)?.[1] ?? answer);
  } catch {
    return { score: 0, reasons: ["format: the answer is not JSON but an output schema was declared"], veto: true };
  }
  const c = compileJsonSchema(schema, "critic outputSchema")(value);
  return c.ok ? { score: 1, reasons: [], veto: false } : { score: 0, reasons: [`format: does not match the output schema: ${c.reason}`], veto: true };
}

export function checkCitations(answer: string, sourceIds: readonly string[] | undefined): CheckResult {
  if (sourceIds === undefined || sourceIds.length === 0) return NA;
  const cited = citations(answer);
  if (cited.length === 0) return { score: 0, reasons: ["faithfulness: sources were given but the answer cites none"], veto: false };
  const known = new Set(sourceIds);
  const bad = [...new Set(cited.filter((c) => !known.has(c)))];
  if (bad.length === 0) return { score: 1, reasons: [], veto: false };
  return { score: 1 - bad.length / new Set(cited).size, reasons: [`faithfulness: cites sources that were not given: ${bad.map((b) => `[${b}]`).join(", ")}`], veto: false };
}

export function checkTests(report: TestReport | undefined): CheckResult {
  if (report === undefined) return NA;
  const total = report.passed + report.failed;
  if (total === 0) return { score: 0, reasons: ["correctness: the test report ran no tests"], veto: true };
  if (report.failed === 0) return { score: 1, reasons: [], veto: false };
  return { score: report.passed / total, reasons: [`correctness: ${report.failed} of ${total} tests failed`], veto: true };
}

const UNSAFE: readonly [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a private key"],
  [/\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}\b/, "an API key"],
  [/\bAKIA[0-9A-Z]{16}\b/, "an AWS access key"],
  [/\bpassword\s*[:=]\s*\S+/i, "a password"],
  [/\brm\s+-[a-z]*r[a-z]*f?[a-z]*\s+(?:--no-preserve-root\s+)?\/(?:\s|$|\*)/, "a destructive shell command (rm -rf /)"],
  [/\bmkfs(?:\.\w+)?\s+\/dev\//, "a destructive shell command (mkfs)"],
  [/:\(\)\s*\{\s*:\|:&\s*\};:/, "a fork bomb"],
  [/\bdd\s+if=\S+\s+of=\/dev\/sd/, "a destructive shell command (dd to a disk)"],
];

export function checkSafety(answer: string): CheckResult {
  const hits = UNSAFE.filter(([re]) => re.test(answer)).map(([, what]) => what);
  return hits.length === 0 ? { score: 1, reasons: [], veto: false } : { score: 0, reasons: hits.map((h) => `safety: the answer contains ${h}`), veto: true };
}
