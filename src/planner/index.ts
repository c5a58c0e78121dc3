/**
 * planner/: plans as task graphs, the market where agents bid for tasks (order book, call auction,
 * Contract Net), the ledger with escrow that pays for them, reputation and the critic.
 */
// ledger + market (planner-ledger)
export * from "./ledger/index.js";
// end ledger + market
