/** planner/reputation: Beta posteriors with forgetting, seed-anchored trust, anti-gaming rules. */
export { emptyBeta, decay, observe, mean, evidence, type BetaState } from "./beta.js";
export { eigenTrust, type TrustEdge, type TrustOptions } from "./trust.js";
export { RatingGate, pairDiscount, DEFAULT_GAMING, type GamingOptions, type GamingFlag, type Detection, type PairStats } from "./gaming.js";
export { Reputation, DIMENSIONS, type Dimension, type ReputationOptions, type Outcome, type Rating, type Profile } from "./reputation.js";
