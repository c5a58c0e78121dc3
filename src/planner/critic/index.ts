/** planner/critic: the five-dimension critic with veto, its checks, the judge port and a scripted judge. */
export { CRITIC_DIMENSIONS, DEFAULT_WEIGHTS, DEFAULT_THRESHOLD, checkWeights, type CriticDimension, type CriticWeights } from "./weights.js";
export { checkFormat, checkCitations, checkTests, checkSafety, type CheckResult, type TestReport } from "./checks.js";
export { askJudge, judgeWithSwap, judgeRequest, JUDGE_SCHEMA, type JudgeModel, type JudgeInput, type JudgeScores, type Order, type SwappedJudgement } from "./judge.js";
export { ScriptedJudge, type ScriptedJudgeOptions } from "./scripted-judge.js";
export { Critic, combine, type CriticInput, type CriticOptions, type Verdict, type Source, type Checks } from "./critic.js";
