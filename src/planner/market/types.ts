/**
 * Shapes shared by the order book and the call auction. Prices and quantities are integers in
 * the market's units (for the Market: micro-credits per task, quantity 1 per task). They are
 * JavaScript safe integers — 1 <= price, quantity <= 2^53 - 1 — because the matching loop runs
 * millions of times a second and bigint arithmetic would cost several times more; nothing ever
 * multiplies price by quantity inside the book, so no product can leave the safe range. Money that
 * leaves the market goes to the ledger as bigint (BigInt(price)).
 */
import { AiosError } from "../../core/index.js";

export type Side = "buy" | "sell";
/** GTC rests until cancelled; IOC fills what it can now and cancels the rest; FOK fills all now or nothing. */
export type TimeInForce = "GTC" | "IOC" | "FOK";
/**
 * Self-trade prevention when an order would trade with a resting order of the same owner:
 * cancel-newest (default) cancels the incoming order's remainder (fills already made stand);
 * cancel-oldest cancels the resting order and keeps matching; cancel-both cancels both.
 */
export type StpMode = "cancel-newest" | "cancel-oldest" | "cancel-both";

export interface OrderInput {
  readonly id: string;
  readonly owner: string;
  readonly side: Side;
  readonly price: number;
  readonly quantity: number;
  readonly tif?: TimeInForce;
}

export interface Fill {
  /** The incoming order and its owner. */
  readonly taker: string;
  readonly takerOwner: string;
  /** The resting order it traded with (whose price the trade is at). */
  readonly maker: string;
  readonly makerOwner: string;
  readonly side: Side;
  readonly price: number;
  readonly quantity: number;
}

export type PlaceStatus = "filled" | "resting" | "cancelled" | "killed";

export interface PlaceResult {
  readonly id: string;
  readonly fills: readonly Fill[];
  readonly filled: number;
  /** Quantity left resting in the book (GTC only). */
  readonly resting: number;
  /**
   * filled: all traded; resting: the rest is in the book; cancelled: IOC remainder or
   * self-trade prevention dropped the rest; killed: FOK that could not fill entirely (no fills).
   */
  readonly status: PlaceStatus;
  /** Resting orders of the same owner cancelled by self-trade prevention. */
  readonly stpCancelled: readonly string[];
  /** True when self-trade prevention cut the incoming order. */
  readonly stpHit: boolean;
}

export function checkOrder(o: OrderInput): void {
  const bad = (path: string, why: string): never => {
    throw new AiosError("E_INVALID_ARG", `order ${String(o.id)}: ${path}: ${why}`, { details: { path, order: o.id } });
  };
  if (typeof o.id !== "string" || o.id.length === 0 || o.id.length > 256) bad("id", "must be a string of 1-256 characters");
  if (typeof o.owner !== "string" || o.owner.length === 0 || o.owner.length > 256) bad("owner", "must be a string of 1-256 characters");
  if (o.side !== "buy" && o.side !== "sell") bad("side", "must be buy or sell");
  if (!Number.isSafeInteger(o.price) || o.price < 1) bad("price", "must be a safe integer >= 1");
  if (!Number.isSafeInteger(o.quantity) || o.quantity < 1) bad("quantity", "must be a safe integer >= 1");
  if (o.tif !== undefined && o.tif !== "GTC" && o.tif !== "IOC" && o.tif !== "FOK") bad("tif", "must be GTC, IOC or FOK");
}
