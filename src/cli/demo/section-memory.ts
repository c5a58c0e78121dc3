/**
 * Demo section 9: memory search and a sandboxed tool, the two things the example agents
 * (examples/specs/research.yaml, coder.yaml) are built on. An agent stores a few notes through the
 * door (MemoryStore) and a hybrid query finds the one that answers a question sharing few of its
 * words — BM25 and the offline sentence-embedding model each rank it, and the fusion shows both
 * ranks. Then an agent allowed `ls` and `cat` in the shell sandbox lists the sandbox's root and
 * tries to read the kernel's own files (not there: only what a call mounts is visible), and a
 * program outside its allow-list is refused before anything starts. No model, no network.
 */
import { existsSync } from "node:fs";
import { isAiosError } from "../../core/index.js";
import type { Aios } from "../../sdk/index.js";
import type { Narrator } from "./narrator.js";

const NOTES = [
  "Lichens are a partnership between a fungus and an alga or a cyanobacterium.",
  "Many lichen species die where sulphur dioxide is high, so lichen surveys map air pollution across a city.",
  "Crustose lichens on rock often grow less than a millimetre a year.",
  "Reindeer feed on lichens through the Arctic winter.",
];
const QUESTION = "which organisms reveal how dirty the air of a town is?";

interface Hit {
  readonly id: string;
  readonly content: { readonly text: string };
  readonly lexicalRank?: number;
  readonly vectorRank?: number;
  readonly similarity?: number;
}

interface ShellResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export async function sectionMemory(os: Aios, say: Narrator, dataDir: string): Promise<boolean> {
  say.section("Memory search and a sandboxed tool", "Memory is a typed, versioned store searched by keywords (BM25) and meaning (a sentence-embedding model that runs offline), fused. Tools that run programs do so in a bubblewrap sandbox that sees only what a call mounts, with no network unless granted.");
  const librarian = await os.spawn({ name: "librarian", kind: "code", logic: { receive: (s: null) => s } });
  for (const text of NOTES) await os.syscall(librarian, "MemoryStore", { type: "observation", content: { text, source: "demo" }, tags: ["lichens"] });
  say.show(`librarian ${librarian} stored`, `${NOTES.length} observations (MemoryStore, through the door)`);
  const { hits } = (await os.syscall(librarian, "MemoryQuery", { text: QUESTION, k: 2, mode: "hybrid" })) as { hits: Hit[] };
  say.show("hybrid search", QUESTION);
  for (const h of hits) {
    const ranks = `bm25 #${h.lexicalRank ?? "-"}, vector #${h.vectorRank ?? "-"}${h.similarity === undefined ? "" : ` (cosine ${h.similarity.toFixed(2)})`}`;
    say.say(`  ${h.id} [${ranks}] ${h.content.text}`);
  }
  const found = hits[0]?.content.text === NOTES[1];
  if (found) say.ok("the note about air pollution comes first: it answers the question in other words");

  if (!existsSync("/usr/bin/bwrap")) {
    say.say("sandbox skipped: bubblewrap (/usr/bin/bwrap) is not installed (`npm run deps` installs it)");
    return found;
  }
  const lister = await os.spawn({ name: "lister", kind: "code", logic: { receive: (s: null) => s }, capabilities: ["tool:shell.execute#call", "shell#exec{allow=[ls,cat],timeout=10s}"] });
  const ls = (await os.callTool("shell.execute", { command: "ls", args: ["/"] }, { as: lister })) as ShellResult;
  say.show(`lister ${lister} runs ls / in the sandbox`, ls.stdout.trim().split("\n").join(" "));
  const cat = (await os.callTool("shell.execute", { command: "cat", args: [`${dataDir}/journal/aios.db`] }, { as: lister })) as ShellResult;
  say.show(`cat ${dataDir}/journal/aios.db`, `exit ${cat.exitCode}: ${cat.stderr.trim()}`);
  const refused = await os.callTool("shell.execute", { command: "sh", args: ["-c", "echo hi"] }, { as: lister }).then(
    () => "ran (unexpected!)",
    (e: unknown) => (isAiosError(e) ? `${e.code}: ${e.message}` : String(e)),
  );
  say.show("sh -c 'echo hi'", refused);
  const isolated = ls.exitCode === 0 && cat.exitCode !== 0 && refused.startsWith("E_CAP_DENIED");
  if (isolated) say.ok("the kernel's files are not in the sandbox, and a program outside the allow-list never starts");
  return found && isolated;
}
