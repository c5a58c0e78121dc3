/**
 * The HNSW index's options and the part of it the file codec reads and writes (HnswImage: its
 * parameters, flat state and vector memory). Its own file so hnsw-file.ts depends on this narrow
 * view, not on the Hnsw class that calls it to save and load.
 */
import type { VectorSpace } from "./vector-space.js";

export interface HnswOptions {
  readonly dim: number;
  /** Links per node on upper layers (layer 0 keeps 2*M). */
  readonly M?: number;
  readonly efConstruction?: number;
  readonly efSearch?: number;
  readonly seed?: number;
  /** false: JavaScript distances instead of WebAssembly SIMD (the fallback; tests compare the two). */
  readonly simd?: boolean;
}

/** The flat state of an index: node i's links, level, label and deletion mark. */
export interface HnswFlatState {
  count: number;
  capacity: number;
  entry: number;
  maxLevel: number;
  levels: Uint8Array;
  labels: Int32Array;
  deleted: Uint8Array;
  layer0: Int32Array;
  upper: (Int32Array | undefined)[];
}

/** What the file codec needs of an index: node i's vector is `vs` slot i + 1. */
export interface HnswImage {
  readonly dim: number;
  readonly M: number;
  readonly M0: number;
  s: HnswFlatState;
  readonly vs: Pick<VectorSpace, "stride" | "bytes">;
  stamp: number | undefined;
  /** Makes room for at least `min` nodes. */
  grow(min: number): void;
  /** Rebuilds the label index and live count after `s` was filled in. */
  reindex(): void;
}
