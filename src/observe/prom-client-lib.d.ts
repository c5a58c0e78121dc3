/**
 * Types for the two prom-client files metrics.ts imports directly (the package types only its
 * index): each module's export is the class of the same name in the index's types.
 */
declare module "prom-client/lib/registry.js" {
  import type { Registry } from "prom-client";
  const R: typeof Registry;
  export default R;
}
declare module "prom-client/lib/gauge.js" {
  import type { Gauge } from "prom-client";
  const G: typeof Gauge;
  export default G;
}
