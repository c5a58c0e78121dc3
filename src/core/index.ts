/** core/: ids, clock, errors, events, logging, randomness — the vocabulary every other module shares. */
export * from "./errors.js";
export * from "./ids.js";
export * from "./clock.js";
export * from "./events.js";
export * from "./logger.js";
export * from "./yaml.js";
export * from "./random.js";
export * from "./ring.js";
export * from "./coarse-clock.js";
export * from "./canonical.js";
export * from "./bounded.js";
export * from "./counts.js";
export * from "./private-files.js";
