/**
 * planner/ledger: the double-entry ledger (accounts, immutable idempotent transfers, two-phase
 * pending/post/void with timeouts, linked chains) in bigint micro-credits on SQLite, and escrow on
 * top of it. See ledger.ts for the invariants and docs/adr/0011-ledger-model.md for the model.
 */
export { Ledger, type LedgerOptions } from "./ledger.js";
export { Escrow, escrowAccountId, ESCROW_ACCOUNT_CODE, ESCROW_TRANSFER_CODE, type ReserveInput, type Settlement } from "./escrow.js";
export { MAX_TIMEOUT_MS } from "./validate.js";
export {
  MICRO, MAX_AMOUNT, NO_ACCOUNT_FLAGS, NO_TRANSFER_FLAGS,
  type Account, type AccountFlags, type AccountInput, type AccountResult, type PendingState, type PendingStatus,
  type Transfer, type TransferFlags, type TransferInput, type TransferResult,
} from "./types.js";
