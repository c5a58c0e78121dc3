/**
 * planner/market: a limit order book with price-time priority, self-trade prevention and
 * GTC/IOC/FOK, a periodic call auction, and the Market that runs Contract Net over them with
 * escrow on the ledger.
 */
export { OrderBook, type OrderBookOptions, type OrderView } from "./order-book.js";
export { CallAuction, type AuctionFill, type AuctionResult } from "./call-auction.js";
export type { Fill, OrderInput, PlaceResult, PlaceStatus, Side, StpMode, TimeInForce } from "./types.js";
export { Market, type MarketOptions, type MarketTaskPost, type BidInput, type MarketTaskView, type MarketTaskStatus, type Award, type ContractNetMessage, type ContractNetPerformative } from "./market.js";
export { priceScore, reputationScore, type ScoreFn, type BidView } from "./scoring.js";
export { marketSyscalls, marketTaskJson, balanceJson, type MarketTaskJson, type AwardJson, type BalanceJson, type TransferJson } from "./syscalls.js";
