/**
 * The research agent (examples/specs/research.yaml) end to end: the spec file and the models file
 * unchanged, the model a scripted OpenAI-compatible server on loopback (the wire format, tool calls
 * included), the pages a loopback web server. Asserted on the real effects: the pages were fetched
 * through the SSRF-guarded http.fetch, memory holds one record per page with the fetched text (and
 * the web taint it came with), the hybrid search ranked the page that answers first, and the summary
 * cites URLs the server served and record ids that exist.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSpecFile } from "../../src/abi/index.js";
import type { MemoryRecord } from "../../src/memory/index.js";
import { FakeOpenAI } from "./fake-openai.js";
import { bootWithModelsFile, endpointEnv, EXAMPLES, withEnv } from "./helpers.js";
import { PAGES_DIR, PageServer, pageText } from "./page-server.js";
import { researcher } from "./scripts.js";

const model = new FakeOpenAI(researcher);
const pages = new PageServer();
let restoreEnv: () => void = () => undefined;
beforeAll(async () => {
  await Promise.all([model.start(), pages.start()]);
  restoreEnv = withEnv(endpointEnv(model.url));
});
afterAll(async () => {
  restoreEnv();
  await Promise.all([model.stop(), pages.stop()]);
});

describe("examples/specs/research.yaml", () => {
  it("fetches the pages, stores them in memory, finds them by hybrid search and cites what it used", async () => {
    const { os, done } = await bootWithModelsFile();
    try {
      const spec = await loadSpecFile(join(EXAMPLES, "specs", "research.yaml"));
      const answer = await os.run(spec, { goal: `What do lichens tell us about air quality? Start at ${pages.url}/index.html` });

      // The pages went through http.fetch (loopback allowed by the spec's net-class grant).
      expect(pages.served.sort()).toEqual(["/air-quality.html", "/growth.html", "/index.html", "/symbiosis.html"]);

      // One record per page, holding the page's text, in the shared namespace, tainted by the web.
      const seen = model.last();
      const ids = seen.results.filter((r) => r.name === "memory.store").map((r) => (JSON.parse(r.content) as { id: string }).id);
      expect(ids).toHaveLength(3);
      // Read back as an agent holding the namespace's read capability (shared records are not the operator's).
      const reader = await os.spawn({ name: "reader", kind: "code", logic: { receive: (s: null) => s }, capabilities: ["memory:shared/research#read"] });
      const get = async (id: string): Promise<MemoryRecord> => (await os.syscall(reader, "MemoryGet", { id })) as MemoryRecord;
      const records = await Promise.all(ids.map(get));
      for (const r of records) {
        const c = r.content as { document: string; text: string };
        const file = new URL(c.document).pathname.slice(1);
        expect(c.text).toBe(pageText(readFileSync(join(PAGES_DIR, file), "utf8")));
        expect(r.scope).toBe("shared");
        expect(r.tags).toContain("research");
        expect(r.tags).toContain(`taint:web:${new URL(pages.url).host}`);
      }

      // The hybrid search the agent ran: both rankings took part, the air-quality page first.
      const search = seen.results.find((r) => r.name === "memory.search")!;
      const hits = (JSON.parse(search.content) as { hits: { id: string; lexicalRank?: number; vectorRank?: number; content: { document: string } }[] }).hits;
      expect(hits[0]!.content.document).toBe(`${pages.url}/air-quality.html`);
      expect(hits[0]!.lexicalRank).toBeDefined();
      expect(hits[0]!.vectorRank).toBeDefined();

      // The summary: a claim from the page, and sources that are real URLs and real record ids.
      const claim = /^(.*?) \[1\]/.exec(answer.text)?.[1] ?? "";
      expect(claim).toContain("indicators of air quality");
      expect(pageText(readFileSync(join(PAGES_DIR, "air-quality.html"), "utf8"))).toContain(claim);
      const cited = [...answer.text.matchAll(/^\[(\d+)\] (\S+) \(memory (\S+)\)$/gm)].map((m) => ({ url: m[2]!, id: m[3]! }));
      expect(cited.length).toBeGreaterThanOrEqual(1);
      expect(cited[0]!.url).toBe(`${pages.url}/air-quality.html`);
      for (const s of cited) {
        expect(pages.served).toContain(new URL(s.url).pathname);
        expect(ids).toContain(s.id);
        expect(((await get(s.id)).content as { document: string }).document).toBe(s.url);
      }

      // The model was reached over the wire with the spec's tools (dotted names become wire names).
      expect(model.requests[0]!.auth).toBe("Bearer sk-test-key");
      expect(model.requests[0]!.body.model).toBe("gpt-4o-mini");
      expect(model.requests[0]!.body.tools!.map((t) => t.function.name).sort()).toEqual(["http__fetch", "memory__get", "memory__search", "memory__store"]);
    } finally {
      await done();
    }
  });
});
