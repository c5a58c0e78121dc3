/**
 * Which query terms a BM25 search runs with. FTS5's bm25() counts every row of every query term
 * (its document frequency) and scores every matching row before the LIMIT applies, so a query
 * holding one very common word costs time proportional to that word's postings: ~0.4 s for a word
 * in 28% of a 1,000,000-record store. Such a word barely moves the ranking (its IDF is near zero
 * beside a rare word's), so in a large store a term whose document frequency exceeds
 * `commonFraction` of the records is treated as a stop word when the query also has a rarer term
 * (Lucene's common-terms query makes the same trade); a query made only of common terms keeps its
 * rarest one. Small stores (below `minDocs`) always run every term.
 * Document frequencies are cached per term and re-counted once the store has grown by a tenth
 * since the count; the cache is bounded (cleared when full).
 */
export interface CommonTermOptions {
  /** Terms in more than this fraction of the records are dropped beside rarer ones (default 0.005). */
  readonly commonFraction?: number;
  /** Below this many records every term runs (default 20,000). */
  readonly minDocs?: number;
}

const CACHE_MAX = 100_000;

export class CommonTerms {
  private readonly fraction: number;
  private readonly minDocs: number;
  private readonly df = new Map<string, { n: number; at: number }>();

  constructor(
    o: CommonTermOptions,
    private readonly count: (term: string) => number,
  ) {
    this.fraction = o.commonFraction ?? 0.005;
    this.minDocs = o.minDocs ?? 20_000;
  }

  private frequency(term: string, docs: number): number {
    const hit = this.df.get(term);
    if (hit !== undefined && docs <= hit.at * 1.1 + 100) return hit.n;
    if (this.df.size >= CACHE_MAX) this.df.clear();
    const n = this.count(term);
    this.df.set(term, { n, at: docs });
    return n;
  }

  /** The terms to search with, given the store's (approximate) record count. */
  select(terms: readonly string[], docs: number): string[] {
    if (docs < this.minDocs) return [...terms];
    const unique = [...new Set(terms)];
    if (unique.length < 2) return unique;
    const limit = this.fraction * docs;
    const withDf = unique.map((t) => ({ t, n: this.frequency(t, docs) }));
    const kept = withDf.filter((x) => x.n <= limit).map((x) => x.t);
    if (kept.length > 0) return kept;
    const rarest = withDf.reduce((a, b) => (b.n < a.n ? b : a));
    return [rarest.t];
  }
}
