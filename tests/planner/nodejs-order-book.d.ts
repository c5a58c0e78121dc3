/**
 * The slice of nodejs-order-book 10.1.1's API the differential test uses. Its package.json points
 * "types" at a file it does not ship (dist/types/index.d.js), so TypeScript cannot find its own.
 */
declare module "nodejs-order-book" {
  export interface RefOrder {
    id: string;
    side: "buy" | "sell";
    size: number;
    price: number;
    accountId?: string;
  }
  export interface IProcessOrder {
    done: RefOrder[];
    partial: RefOrder | null;
    partialQuantityProcessed: number;
    quantityLeft: number;
    err: { code: number; message: string } | null;
    stpExpired?: RefOrder[];
  }
  export class OrderBook {
    constructor(opts?: Record<string, unknown>);
    limit(o: {
      id: string;
      side: "buy" | "sell";
      size: number;
      price: number;
      timeInForce?: "GTC" | "IOC" | "FOK";
      accountId?: string;
      stpMode?: "NONE" | "EXPIRE_TAKER" | "EXPIRE_MAKER" | "EXPIRE_BOTH";
    }): IProcessOrder;
    cancel(id: string): unknown;
    order(id: string): RefOrder | undefined;
    depth(): [[number, number][], [number, number][]];
  }
}
