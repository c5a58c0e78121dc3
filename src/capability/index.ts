/**
 * capability/: the one capability grammar of AIOS — `resource#action1,action2{key=value,...}` — with
 * parsing (errors name the offending part), matching a request (`allows`), attenuation between two
 * capabilities (`covers`), glob containment, and the rule every spawn route applies to a whole spec
 * tree (`checkSpecTree`, `carveBudget`). Security's tokens, the kernel's spawn routes, `agent.spawn`
 * and the default spec checker all use this module; nothing else writes the rule.
 */
export { globCovers, globMatch, globToRegExp } from "./glob.js";
export { allows, covers, coveredBy, formatCapability, parseCapability, parseDuration, parseRate, type Capability, type CapRequest } from "./grammar.js";
export { BUDGET_KEYS, carveBudget, checkSpecTree, creatorCovers, firstUncovered, type Budget, type Creator, type SpecNode } from "./attenuate.js";
export { toGrammar } from "./seed-formats.js";
