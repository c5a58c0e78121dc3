/**
 * Reading a syscall's untyped args and results for span attributes (tracing.ts, market-spans.ts): a
 * field that is not what an attribute needs is left out, never coerced.
 */
export type Obj = Record<string, unknown>;

/** `v` as an object to read fields from; `{}` when it is not one. */
export const obj = (v: unknown): Obj => (typeof v === "object" && v !== null ? (v as Obj) : {});
/** `v` when it is a string. */
export const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
/** `v` when it is a finite number. */
export const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
