/**
 * Topic names and subscription patterns, NATS style: tokens separated by ".", `*` matches exactly
 * one token, `>` (last token only) matches one or more remaining tokens. So `orders.*` matches
 * `orders.new` but not `orders.eu.new`; `orders.>` matches both but not `orders`. TopicIndex is a
 * token trie: matching costs O(tokens x wildcard branches), not O(subscriptions).
 */
import { AiosError } from "../core/index.js";

const TOKEN = /^[^.*>\s]+$/;

export function parseTopic(topic: string, field = "topic"): string[] {
  const t = topic.split(".");
  if (topic.length === 0 || topic.length > 256 || !t.every((x) => TOKEN.test(x))) {
    throw new AiosError("E_INVALID_ARG", `${field}: "${topic}" is not a topic (dot-separated non-empty tokens without spaces, * or >)`, { details: { path: field } });
  }
  return t;
}

export function parsePattern(pattern: string, field = "pattern"): string[] {
  const t = pattern.split(".");
  const ok = pattern.length > 0 && pattern.length <= 256 && t.every((x, i) => TOKEN.test(x) || x === "*" || (x === ">" && i === t.length - 1));
  if (!ok) throw new AiosError("E_INVALID_ARG", `${field}: "${pattern}" is not a topic pattern (tokens, *, or > as the last token)`, { details: { path: field } });
  return t;
}

/** Direct matcher over token arrays (the trie must agree with it). */
export function topicMatches(pattern: string, topic: string): boolean {
  const p = pattern.split(".");
  const t = topic.split(".");
  for (let i = 0; i < p.length; i++) {
    const tok = p[i];
    if (tok === ">") return t.length > i;
    if (i >= t.length) return false;
    if (tok !== "*" && tok !== t[i]) return false;
  }
  return p.length === t.length;
}

interface Node<T> {
  readonly children: Map<string, Node<T>>;
  /** Subscribers whose pattern ends here. */
  readonly here: Set<T>;
}

const node = <T>(): Node<T> => ({ children: new Map(), here: new Set() });

export class TopicIndex<T> {
  private readonly root: Node<T> = node();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(pattern: string, sub: T): void {
    let n = this.root;
    for (const tok of parsePattern(pattern)) {
      let c = n.children.get(tok);
      if (c === undefined) n.children.set(tok, (c = node()));
      n = c;
    }
    if (!n.here.has(sub)) this.count++;
    n.here.add(sub);
  }

  remove(pattern: string, sub: T): boolean {
    const path: Node<T>[] = [this.root];
    const toks = pattern.split(".");
    for (const tok of toks) {
      const c = path[path.length - 1]?.children.get(tok);
      if (c === undefined) return false;
      path.push(c);
    }
    const leaf = path[path.length - 1] as Node<T>;
    if (!leaf.here.delete(sub)) return false;
    this.count--;
    // Prune empty branches so a churn of subscriptions does not grow the trie forever.
    for (let i = path.length - 1; i > 0; i--) {
      const n = path[i] as Node<T>;
      if (n.here.size > 0 || n.children.size > 0) break;
      path[i - 1]?.children.delete(toks[i - 1] as string);
    }
    return true;
  }

  /** Every subscriber with a pattern matching `topic`, each once. */
  match(topic: string): Set<T> {
    const out = new Set<T>();
    const toks = parseTopic(topic);
    const walk = (n: Node<T>, i: number): void => {
      const tail = n.children.get(">");
      if (tail !== undefined && i < toks.length) for (const s of tail.here) out.add(s);
      if (i === toks.length) {
        for (const s of n.here) out.add(s);
        return;
      }
      const exact = n.children.get(toks[i] as string);
      if (exact !== undefined) walk(exact, i + 1);
      const star = n.children.get("*");
      if (star !== undefined) walk(star, i + 1);
    };
    walk(this.root, 0);
    return out;
  }
}
