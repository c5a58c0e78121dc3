/**
 * Runs the critic with the scripted judge over the hand-labelled set (tests/fixtures/critic) and
 * measures Cohen's kappa against the human labels and the verdict consistency under order swap (the
 * verdict from the candidate-first judgement alone vs the reference-first one alone).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { checkCitations, checkFormat, checkSafety, checkTests, combine, Critic, ScriptedJudge, type CriticInput, type Verdict } from "../../src/planner/index.js";

export interface Item extends CriticInput {
  readonly id: string;
  readonly label: "accept" | "reject";
  readonly why: string;
}

export function loadItems(): Item[] {
  const path = fileURLToPath(new URL("../fixtures/critic/labelled.json", import.meta.url));
  return (JSON.parse(readFileSync(path, "utf8")) as { items: Item[] }).items;
}

export function cohensKappa(a: readonly boolean[], b: readonly boolean[]): number {
  const n = a.length;
  let agree = 0;
  let a1 = 0;
  let b1 = 0;
  for (let i = 0; i < n; i++) {
    if (a[i] === b[i]) agree++;
    if (a[i] === true) a1++;
    if (b[i] === true) b1++;
  }
  const po = agree / n;
  const pe = (a1 / n) * (b1 / n) + (1 - a1 / n) * (1 - b1 / n);
  return (po - pe) / (1 - pe);
}

export interface Evaluation {
  readonly kappa: number;
  readonly agreement: number;
  readonly swapConsistency: number;
  readonly verdicts: readonly { item: Item; verdict: Verdict; single: [boolean, boolean] }[];
}

export async function evaluateSet(contextWords?: number): Promise<Evaluation> {
  const critic = new Critic({ judge: new ScriptedJudge(contextWords === undefined ? {} : { contextWords }) });
  const items = loadItems();
  const verdicts: { item: Item; verdict: Verdict; single: [boolean, boolean] }[] = [];
  for (const item of items) {
    const verdict = await critic.evaluate(item);
    const checks = {
      format: checkFormat(item.answer.trim(), item.outputSchema),
      citations: checkCitations(item.answer.trim(), item.sources?.map((s) => s.id)),
      tests: checkTests(item.testReport),
      safety: checkSafety(item.answer.trim()),
    };
    const [o1, o2] = verdict.judge?.orders ?? [];
    if (o1 === undefined || o2 === undefined) throw new Error("the critic did not ask the judge twice");
    const single: [boolean, boolean] = [combine(checks, o1, critic.weights, critic.threshold).accept, combine(checks, o2, critic.weights, critic.threshold).accept];
    verdicts.push({ item, verdict, single });
  }
  const human = verdicts.map((v) => v.item.label === "accept");
  const machine = verdicts.map((v) => v.verdict.accept);
  return {
    kappa: cohensKappa(human, machine),
    agreement: human.filter((h, i) => h === machine[i]).length / human.length,
    swapConsistency: verdicts.filter((v) => v.single[0] === v.single[1]).length / verdicts.length,
    verdicts,
  };
}
