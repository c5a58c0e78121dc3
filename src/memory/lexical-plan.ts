/**
 * Which query terms a BM25 search runs with. FTS5's bm25() counts every row of every query term
 * (its document frequency) and scores every matching row before the LIMIT applies, so a query
 * holding one very common word costs time proportional to that word's postings: ~0.4 s for a word
 * in 28% of a 1,000,000-record store. Such a word barely moves the ranking (its IDF is near zero
 * beside a rare word's), so in a large store a term whose document frequency exceeds
 * `commonFraction` of the records is treated as a stop word when the query also has a rarer term
 * (Lucene's common-terms query makes the same trade); a query made only of common terms keeps its
 * rarest one. The plan is also bounded: bm25() costs ~1 us per matching row (FTS5 looks up each
 * row's length), so the terms kept run rarest first only while their summed document frequency
 * stays within `budget` (the rarest always runs). A dropped term is one that a rarer kept term
 * outweighs in IDF; at 1,000,000 records and 3 Zipf words per query a budget of 2,000 halves the
 * rows scored (1,985 -> 940 on average) and BM25's CPU time (2.0 -> 1.0 ms), and keeps 95.8% of
 * the top 40 of the unbounded plan. Small stores (below `minDocs`) always run every term.
 * Document frequencies are cached per term and re-counted once the store has grown by a tenth
 * since the count; the cache is bounded (cleared when full). A count stops at the first number that
 * decides the plan (past both the common limit and the budget): counting a word in 26% of 1,000,000
 * records in full took tens of ms, and fresh words' counts cost more than BM25 itself (3.5 vs 1.6
 * CPU-ms per query on the bench's fresh 3-word queries). Only when every term is past that number
 * are they counted in full, to find the rarest.
 */
export interface CommonTermOptions {
  /** Terms in more than this fraction of the records are dropped beside rarer ones (default 0.005). */
  readonly commonFraction?: number;
  /** Below this many records every term runs (default 20,000). */
  readonly minDocs?: number;
  /** Most matching rows the kept terms may sum to, beyond the rarest term's (default 2,000). */
  readonly budget?: number;
}

const CACHE_MAX = 100_000;

export class CommonTerms {
  private readonly fraction: number;
  private readonly minDocs: number;
  private readonly budget: number;
  private readonly df = new Map<string, { n: number; at: number; exact: boolean }>();

  /** `count(term, atMost)`: the term's document frequency, or any number >= atMost when it is at least that. */
  constructor(
    o: CommonTermOptions,
    private readonly count: (term: string, atMost: number) => number,
  ) {
    this.fraction = o.commonFraction ?? 0.005;
    this.minDocs = o.minDocs ?? 20_000;
    this.budget = o.budget ?? 2_000;
  }

  private frequency(term: string, docs: number, cap: number): number {
    const hit = this.df.get(term);
    if (hit !== undefined && docs <= hit.at * 1.1 + 100 && (hit.exact || hit.n >= cap)) return hit.n;
    if (this.df.size >= CACHE_MAX) this.df.clear();
    const n = this.count(term, cap);
    this.df.set(term, { n, at: docs, exact: n < cap });
    return n;
  }

  /** The terms to search with, given the store's (approximate) record count. */
  select(terms: readonly string[], docs: number): string[] {
    if (docs < this.minDocs) return [...terms];
    const unique = [...new Set(terms)];
    if (unique.length < 2) return unique;
    const limit = this.fraction * docs;
    // A term at `cap` or past it runs only as the rarest of all-common terms.
    const cap = Math.floor(Math.max(limit, this.budget)) + 1;
    let withDf = unique.map((t) => ({ t, n: this.frequency(t, docs, cap) }));
    if (withDf.every((x) => x.n >= cap)) withDf = unique.map((t) => ({ t, n: this.frequency(t, docs, Infinity) }));
    const rarest = withDf.reduce((a, b) => (b.n < a.n ? b : a));
    // Rarest first within the budget; the answer keeps the query's word order.
    const within = new Set<string>([rarest.t]);
    let rows = rarest.n;
    for (const x of withDf.filter((y) => y.n <= limit && y !== rarest).sort((a, b) => a.n - b.n)) {
      if (rows + x.n > this.budget) break;
      within.add(x.t);
      rows += x.n;
    }
    return unique.filter((t) => within.has(t));
  }
}
