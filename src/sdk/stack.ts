/**
 * A subsystem list whose order the compiler checks (Effect's Layer is the model): `stack().add(a)
 * .add(b)` types what the stack provides so far, and `add` (or `maybe`, for one the configuration may leave out) of a subsystem whose `needs` are not
 * among them is a compile error naming the missing service. boot checks the same declarations again
 * at run time (kernel/assemble.ts), for lists built without this type, e.g. `boot({ add })`.
 * `wired` is the composition root's own glue: a subsystem whose options are made from services
 * built before it (the audit signer from security's keys), declared like any other need.
 */
import type { AnySubsystem, Subsystem } from "../abi/index.js";

type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
/** Needs the stack does not provide (or provides as something else). */
type Missing<Have, Needs> =
  | Exclude<RequiredKeys<Needs> & string, keyof Have>
  | { [K in keyof Needs & keyof Have]: Have[K] extends Needs[K] ? never : K }[keyof Needs & keyof Have];

export class Stack<Have extends object> {
  constructor(readonly list: readonly AnySubsystem[]) {}

  /** Adds a subsystem after the others. */
  add<N extends string, S, Needs extends object>(
    s: Subsystem<N, S, Needs>,
    ..._missing: [Missing<Have, Needs>] extends [never] ? [] : [`missing: ${Missing<Have, Needs> & string}`]
  ): Stack<Have & { readonly [K in N]: S }> {
    return new Stack<Have & { readonly [K in N]: S }>([...this.list, s]);
  }

  /** Adds a subsystem the configuration may leave out (`undefined`): later ones can only use it. */
  maybe<N extends string, S, Needs extends object>(
    s: Subsystem<N, S, Needs> | undefined,
    ..._missing: [Missing<Have, Needs>] extends [never] ? [] : [`missing: ${Missing<Have, Needs> & string}`]
  ): Stack<Have & { readonly [K in N]?: S }> {
    return new Stack<Have & { readonly [K in N]?: S }>(s === undefined ? this.list : [...this.list, s]);
  }
}

export function stack(): Stack<object> {
  return new Stack([]);
}

/** A subsystem built by `make` from the services it names (`needs` present; `uses` when present). */
export function wired<N extends string, S, Needs extends object>(o: {
  readonly name: N;
  readonly needs?: readonly (keyof Needs & string)[];
  readonly uses?: readonly (keyof Needs & string)[];
  readonly make: (services: Needs) => Subsystem<N, S>;
}): Subsystem<N, S, Needs> {
  return {
    name: o.name,
    needs: o.needs ?? [],
    ...(o.uses === undefined ? {} : { uses: o.uses }),
    build: (host, services) => o.make(services).build(host, {}),
  };
}
