/**
 * Counters and histograms for the hot path, read by prom-client's Registry at scrape time. A
 * prom-client Counter or Histogram finds a call's series by hashing its label object into a string
 * key (and checks every label name) on each `inc` or `observe`; the syscall, model and tool figures
 * are fed several times per agent step. Here a series is found by its label values, positionally,
 * through one small map per label (`at(a, b, c)`: no object and no string made per call), and is a
 * cell that adds to a number or to its bucket's count. The label sets are bounded (labels.ts), so the
 * maps stay small.
 *
 * Each family registers itself in the instance's prom-client Registry and answers `get()` (and, for a
 * histogram, `getForPromString()`) in prom-client's own shapes, so the registry renders the
 * exposition itself: the same names, help, types, label order (the family's label names), series
 * order (first use), bucket lines and number formatting as prom-client's Counter and Histogram
 * (tests/observe/series.test.ts renders both side by side). The label-object `inc` / `observe` stay
 * for the rare callers (an audit verification, an anomaly, tests).
 */
import type * as PromClient from "prom-client";
import { AiosError } from "../core/index.js";

type LabelValues = Readonly<Record<string, string | number>>;

/** A prom-client value row, as `get()` returns them (`sharedLabels`: a histogram's series labels, in getForPromString only). */
interface ValueRow {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
  sharedLabels?: LabelValues;
  exemplar?: null;
}

interface MetricData {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "histogram";
  readonly values: ValueRow[];
  readonly aggregator: "sum";
}

interface FamilyConfig<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
  readonly registers: readonly PromClient.Registry[];
}

/** Label names a series may not use (prom-client's rule for histograms). */
const RESERVED = "le";

abstract class Family<L extends string, C extends { readonly labels: LabelValues }> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly aggregator = "sum" as const;
  /** Series in the order they were first used (prom-client's order). */
  protected cells: C[] = [];
  /** label value -> (next label's map | the series), one level per label name. */
  private index = new Map<string, unknown>();
  /** The series of a family with no labels (each family's constructor makes it: prom-client exports it from the start). */
  private only: C | undefined;

  constructor(c: FamilyConfig<L>) {
    this.name = c.name;
    this.help = c.help;
    this.labelNames = c.labelNames ?? [];
    if (this.labelNames.length > 3) throw new AiosError("E_INTERNAL", `metric ${c.name}: at most 3 labels`);
    for (const r of c.registers) r.registerMetric(this as unknown as PromClient.Metric);
  }

  protected abstract make(labels: LabelValues): C;

  /** The series with these label values, in the order of `labelNames` (made on first use). */
  at(a?: string, b?: string, c?: string): C {
    const n = this.labelNames.length;
    if (n === 0) return this.only ?? this.add([]);
    let level = this.index;
    let next = level.get(a as string);
    if (n === 1) return (next as C | undefined) ?? this.add([a]);
    if (next === undefined) return this.add([a, b, c]);
    level = next as Map<string, unknown>;
    next = level.get(b as string);
    if (n === 2) return (next as C | undefined) ?? this.add([a, b]);
    if (next === undefined) return this.add([a, b, c]);
    return ((next as Map<string, unknown>).get(c as string) as C | undefined) ?? this.add([a, b, c]);
  }

  /** The series named by a label object (every label name of the family, and no other). */
  protected byLabels(labels: Partial<Record<L, string | number>>): C {
    const names = this.labelNames;
    let n = 0;
    for (const k in labels) {
      if (!names.includes(k)) throw new AiosError("E_INTERNAL", `metric ${this.name}: no label ${k}`);
      n++;
    }
    if (n !== names.length) throw new AiosError("E_INTERNAL", `metric ${this.name}: labels ${names.join(", ")} expected`);
    const v = names.map((k) => String(labels[k]));
    return this.at(v[0], v[1], v[2]);
  }

  private add(values: readonly (string | undefined)[]): C {
    const names = this.labelNames;
    const labels: Record<string, string> = {};
    for (let i = 0; i < names.length; i++) {
      const v = values[i];
      if (typeof v !== "string") throw new AiosError("E_INTERNAL", `metric ${this.name}: label ${names[i]} has no value`);
      labels[names[i] as string] = v;
    }
    const cell = this.make(labels);
    this.cells.push(cell);
    if (names.length === 0) return (this.only = cell);
    let level = this.index;
    for (let i = 0; i < names.length - 1; i++) {
      const key = values[i] as string;
      let inner = level.get(key) as Map<string, unknown> | undefined;
      if (inner === undefined) level.set(key, (inner = new Map()));
      level = inner;
    }
    level.set(values[names.length - 1] as string, cell);
    return cell;
  }

  /** Forgets every series (the registry's `resetMetrics`). */
  reset(): void {
    this.cells = [];
    this.index = new Map();
    this.only = undefined;
  }
}

/** One series of a counter. */
export class CounterCell {
  value = 0;
  constructor(readonly labels: LabelValues) {}

  inc(v = 1): void {
    if (!(v >= 0) || v === Infinity) throw new AiosError("E_INTERNAL", `a counter cannot add ${v}`);
    this.value += v;
  }
}

export class CounterFamily<L extends string = never> extends Family<L, CounterCell> {
  readonly type = "counter" as const;

  constructor(c: FamilyConfig<L>) {
    super(c);
    if (this.labelNames.length === 0) this.at();
  }

  protected make(labels: LabelValues): CounterCell {
    return new CounterCell(labels);
  }

  /** Forgets every series; one with no labels starts again at 0 (as prom-client's; its histograms' does not, nor does ours). */
  override reset(): void {
    super.reset();
    if (this.labelNames.length === 0) this.at();
  }

  /** Adds `value` (default 1) to the series named by `labels` (a family with no labels: `inc(value)`). */
  inc(labels?: Partial<Record<L, string | number>> | number, value?: number): void {
    if (typeof labels === "object") this.byLabels(labels).inc(value);
    else this.at().inc(labels);
  }

  get(): Promise<MetricData> {
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values: this.cells.map((c) => ({ value: c.value, labels: c.labels as Record<string, string> })), aggregator: this.aggregator });
  }
}

/** One series of a histogram: a count per bucket (not cumulative), the sum and the count. */
export class HistogramCell {
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(
    readonly labels: LabelValues,
    private readonly bounds: readonly number[],
  ) {
    this.counts = bounds.map(() => 0);
  }

  observe(v: number): void {
    if (!Number.isFinite(v)) throw new AiosError("E_INTERNAL", `a histogram cannot observe ${v}`);
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (v <= (b[i] as number)) {
        (this.counts[i] as number)++;
        break;
      }
    }
    this.sum += v;
    this.count++;
  }
}

export class HistogramFamily<L extends string = never> extends Family<L, HistogramCell> {
  readonly type = "histogram" as const;
  readonly buckets: readonly number[];

  constructor(c: FamilyConfig<L> & { readonly buckets: readonly number[] }) {
    if ((c.labelNames ?? []).includes(RESERVED as L)) throw new AiosError("E_INTERNAL", `metric ${c.name}: le is a reserved label`);
    super(c);
    this.buckets = [...c.buckets];
    if (this.labelNames.length === 0) this.at();
  }

  protected make(labels: LabelValues): HistogramCell {
    return new HistogramCell(labels, this.buckets);
  }

  /** Observes `value` in the series named by `labels` (a family with no labels: `observe(value)`). */
  observe(labels: Partial<Record<L, string | number>> | number, value?: number): void {
    if (typeof labels === "object") this.byLabels(labels).observe(value as number);
    else this.at().observe(labels);
  }

  /** Rows as prom-client's Histogram renders them: per series its cumulative buckets, +Inf, sum and count, the series labels shared. */
  getForPromString(): Promise<MetricData> {
    const bucket = `${this.name}_bucket`;
    const values: ValueRow[] = [];
    for (const c of this.cells) {
      let acc = 0;
      for (let i = 0; i < this.buckets.length; i++) {
        acc += c.counts[i] as number;
        values.push({ labels: { le: this.buckets[i] as number }, sharedLabels: c.labels, value: acc, metricName: bucket, exemplar: null });
      }
      values.push({ labels: { le: "+Inf" }, sharedLabels: c.labels, value: c.count, metricName: bucket, exemplar: null });
      values.push({ labels: {}, sharedLabels: c.labels, value: c.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: c.labels, value: c.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** The same rows with each series' labels merged into the row's (prom-client's `get`). */
  async get(): Promise<MetricData> {
    const data = await this.getForPromString();
    for (const row of data.values) {
      const { sharedLabels, ...rest } = row;
      row.labels = { ...rest.labels, ...sharedLabels };
      delete row.sharedLabels;
    }
    return data;
  }
}
