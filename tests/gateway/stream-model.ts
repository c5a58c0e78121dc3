/**
 * An OpenAI-compatible model on loopback that streams its answer word by word (Chat Completions
 * SSE: one `delta.content` chunk per word, a finish chunk, a usage chunk, `data: [DONE]`), or
 * answers JSON when not asked to stream. With `hold` set it stops after the first word until
 * released, so a test can see a run's caller leave mid-answer.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export class StreamModel {
  private server: Server | undefined;
  url = "";
  hold = false;
  requests = 0;
  private waiting: (() => void)[] = [];

  constructor(readonly answer: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const body: Buffer[] = [];
      req.on("data", (c: Buffer) => body.push(c));
      req.on("end", () => {
        this.requests++;
        const { stream, model } = JSON.parse(Buffer.concat(body).toString("utf8")) as { stream?: boolean; model: string };
        const usage = { prompt_tokens: 12, completion_tokens: 7 };
        if (stream !== true) {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ id: "c1", object: "chat.completion", model, choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: this.answer } }], usage }));
          return;
        }
        res.writeHead(200, { "content-type": "text/event-stream" });
        const chunk = (delta: unknown, finish: string | null): string => `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
        const words = this.answer.match(/\S+\s*/g) ?? [];
        void (async () => {
          for (const [i, w] of words.entries()) {
            res.write(chunk({ content: w }, null));
            if (i === 0 && this.hold) await new Promise<void>((r) => this.waiting.push(r));
            if (res.destroyed) return;
          }
          res.write(chunk({}, "stop"));
          res.write(`data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", model, choices: [], usage })}\n\n`);
          res.end("data: [DONE]\n\n");
        })();
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  release(): void {
    for (const r of this.waiting.splice(0)) r();
  }

  async stop(): Promise<void> {
    this.release();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server === undefined ? r() : this.server.close(() => r())));
  }
}
