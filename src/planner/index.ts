/**
 * planner/: plans as validated, versioned task graphs run by a parallel executor (graph/), the
 * market where agents bid for tasks (order book, call auction, Contract Net), the ledger with escrow
 * that pays for them, reputation that resists gaming (reputation/) and the critic with veto
 * (critic/). The module's one public door.
 */
// ledger + market (planner-ledger)
export * from "./ledger/index.js";
export * from "./market/index.js";
// end ledger + market
// --- planner-rep: graph, reputation, critic ---
export * from "./graph/index.js";
export * from "./reputation/index.js";
export * from "./critic/index.js";
// --- end planner-rep ---
// wiring: the plugin the default stack installs, and the surface of os.plan / market / ledger
export * from "./wiring/index.js";
