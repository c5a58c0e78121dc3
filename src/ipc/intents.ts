/**
 * Intent routing: agents declare skills (text, optional input/output schema ids); a message sent to
 * an intent goes to the agent whose skill text is most similar to it (cosine of embeddings). Skill
 * vectors are embedded once at registration, normalised and kept in one contiguous matrix, so a
 * decision is one pass of dot products. Rules: a best score below `threshold` is "no agent can
 * handle this" (E_NO_AGENT); agents within `tieEpsilon` of the best are ties, broken by the lowest
 * load (mailbox length), then the higher score, then the agent id (deterministic).
 */
import { AiosError } from "../core/index.js";

/** The embedder seam (memory/'s Embedder fits through adaptEmbedder). */
export interface IntentEmbedder {
  readonly dimensions: number;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

export function adaptEmbedder(e: IntentEmbedder | { readonly dim: number; embed(texts: readonly string[]): Promise<Float32Array[]> }): IntentEmbedder {
  return "dimensions" in e ? e : { dimensions: e.dim, embed: (t) => e.embed(t) };
}

export interface Skill {
  readonly name: string;
  readonly description: string;
  /** Payload schema id the skill accepts. */
  readonly input?: string;
  /** Payload schema id the skill answers with. */
  readonly output?: string;
}

export interface RouteDecision {
  readonly agent: string;
  readonly skill: Skill;
  readonly score: number;
  /** Agents that were within the tie margin of the best (1 when there was no tie). */
  readonly tied: number;
}

export interface IntentRouterOptions {
  readonly threshold?: number;
  readonly tieEpsilon?: number;
}

/** Load of an agent (mailbox length), or undefined when it cannot take messages now. */
export type LoadOf = (agent: string) => number | undefined;

export class IntentRouter {
  readonly threshold: number;
  readonly tieEpsilon: number;
  private readonly dim: number;
  private matrix: Float32Array;
  private rows: { agent: string; skill: Skill }[] = [];
  private scores = new Float32Array(0);

  constructor(
    private readonly embedder: IntentEmbedder,
    o: IntentRouterOptions = {},
  ) {
    this.dim = embedder.dimensions;
    this.threshold = o.threshold ?? 0.5;
    this.tieEpsilon = o.tieEpsilon ?? 0.02;
    this.matrix = new Float32Array(64 * this.dim);
  }

  get size(): number {
    return this.rows.length;
  }

  /** Replaces the agent's skills. */
  async register(agent: string, skills: readonly Skill[]): Promise<number> {
    const vecs = skills.length === 0 ? [] : await this.embedder.embed(skills.map((s) => `${s.name}: ${s.description}`));
    this.registerVectors(agent, skills, vecs);
    return skills.length;
  }

  /** Registers precomputed skill vectors (benchmarks, snapshots). */
  registerVectors(agent: string, skills: readonly Skill[], vecs: readonly Float32Array[]): void {
    if (vecs.length !== skills.length) throw new AiosError("E_INTERNAL", `embedder returned ${vecs.length} vectors for ${skills.length} skills`);
    this.unregister(agent);
    for (let i = 0; i < skills.length; i++) {
      const v = this.normalised(vecs[i] as Float32Array, `skills.${i}`);
      const row = this.rows.length;
      if ((row + 1) * this.dim > this.matrix.length) {
        const next = new Float32Array(this.matrix.length * 2);
        next.set(this.matrix);
        this.matrix = next;
      }
      this.matrix.set(v, row * this.dim);
      this.rows.push({ agent, skill: skills[i] as Skill });
    }
  }

  unregister(agent: string): void {
    // Swap-remove: move the last row into each freed slot (order of rows carries no meaning).
    for (let r = this.rows.length - 1; r >= 0; r--) {
      if (this.rows[r]?.agent !== agent) continue;
      const last = this.rows.length - 1;
      if (r !== last) {
        this.rows[r] = this.rows[last] as { agent: string; skill: Skill };
        this.matrix.copyWithin(r * this.dim, last * this.dim, (last + 1) * this.dim);
      }
      this.rows.pop();
    }
  }

  skillsOf(agent: string): Skill[] {
    return this.rows.filter((r) => r.agent === agent).map((r) => r.skill);
  }

  async route(intent: string, load: LoadOf): Promise<RouteDecision> {
    const [v] = await this.embedder.embed([intent]);
    if (v === undefined) throw new AiosError("E_INTERNAL", "the embedder returned no vector for the intent");
    return this.decide(v, load, intent);
  }

  /** The routing decision for a query vector (synchronous: what the benchmark times). */
  decide(query: Float32Array, load: LoadOf, label = "(vector)"): RouteDecision {
    const q = this.normalised(query, "intent");
    const n = this.rows.length;
    const d = this.dim;
    if (this.scores.length < n) this.scores = new Float32Array(Math.max(n, this.scores.length * 2));
    const m = this.matrix;
    const scores = this.scores;
    let best = -Infinity;
    for (let r = 0; r < n; r++) {
      let s = 0;
      const o = r * d;
      for (let j = 0; j < d; j++) s += (m[o + j] as number) * (q[j] as number);
      scores[r] = s;
    }
    // Best among agents that can take messages now (loads are read only above the threshold).
    const loads = new Map<string, number | undefined>();
    const loadOf = (a: string): number | undefined => {
      if (!loads.has(a)) loads.set(a, load(a));
      return loads.get(a);
    };
    let nearest = -Infinity;
    let nearestAgent: string | undefined;
    for (let r = 0; r < n; r++) {
      const s = scores[r] as number;
      if (s > nearest) {
        nearest = s;
        nearestAgent = this.rows[r]?.agent;
      }
      if (s >= this.threshold && s > best && loadOf((this.rows[r] as { agent: string }).agent) !== undefined) best = s;
    }
    if (best === -Infinity) {
      throw new AiosError("E_NO_AGENT", `no agent can handle this intent: "${label.slice(0, 120)}" (best match ${nearest === -Infinity ? "none" : nearest.toFixed(3)}, threshold ${this.threshold})`, {
        details: { path: "intent", threshold: this.threshold, bestScore: nearest === -Infinity ? null : nearest, nearest: nearestAgent ?? null },
      });
    }
    let pick = -1;
    let pickLoad = Infinity;
    const tied = new Set<string>();
    for (let r = 0; r < n; r++) {
      const s = scores[r] as number;
      if (s < best - this.tieEpsilon || s < this.threshold) continue;
      const row = this.rows[r] as { agent: string; skill: Skill };
      const l = loadOf(row.agent);
      if (l === undefined) continue;
      tied.add(row.agent);
      const cur = this.rows[pick];
      const better = pick < 0 || l < pickLoad || (l === pickLoad && (s > (scores[pick] as number) || (s === scores[pick] && cur !== undefined && row.agent < cur.agent)));
      if (better) {
        pick = r;
        pickLoad = l;
      }
    }
    const chosen = this.rows[pick] as { agent: string; skill: Skill };
    return { agent: chosen.agent, skill: chosen.skill, score: scores[pick] as number, tied: tied.size };
  }

  private normalised(v: Float32Array, field: string): Float32Array {
    if (v.length !== this.dim) {
      throw new AiosError("E_INVALID_ARG", `${field}: embedding has ${v.length} dimensions, the router uses ${this.dim}`, { details: { path: field } });
    }
    let norm = 0;
    for (let j = 0; j < v.length; j++) norm += (v[j] as number) ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0 || !Number.isFinite(norm)) return new Float32Array(v.length);
    const out = new Float32Array(v.length);
    for (let j = 0; j < v.length; j++) out[j] = (v[j] as number) / norm;
    return out;
  }
}
