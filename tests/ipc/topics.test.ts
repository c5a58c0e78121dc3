import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { TopicIndex, parsePattern, parseTopic, topicMatches } from "../../src/ipc/index.js";

/** Reference matcher: the pattern as a regular expression over the dotted topic. */
function reference(pattern: string, topic: string): boolean {
  const re = pattern
    .split(".")
    .map((t) => (t === "*" ? "[^.]+" : t === ">" ? "[^.]+(\\.[^.]+)*" : t.replace(/[.+?^${}()|[\]\\]/g, "\\$&")))
    .join("\\.");
  return new RegExp(`^${re}$`).test(topic);
}

const token = fc.constantFrom("orders", "eu", "us", "new", "paid", "x");
const topicArb = fc.array(token, { minLength: 1, maxLength: 5 }).map((t) => t.join("."));
const patternArb = fc
  .tuple(fc.array(fc.oneof(token, fc.constant("*")), { minLength: 1, maxLength: 5 }), fc.boolean())
  .map(([t, tail]) => (tail ? [...t.slice(0, -1), ">"] : t).join("."));

describe("topics", () => {
  it("matches the examples of the issue", () => {
    expect(topicMatches("orders.*", "orders.new")).toBe(true);
    expect(topicMatches("orders.*", "orders.eu.new")).toBe(false);
    expect(topicMatches("orders.>", "orders.eu.new")).toBe(true);
    expect(topicMatches("orders.>", "orders")).toBe(false);
    expect(topicMatches("*.new", "orders.new")).toBe(true);
  });

  it("rejects malformed topics and patterns naming the field", () => {
    expect(() => parseTopic("orders.*")).toThrow(/topic: "orders.\*" is not a topic/);
    expect(() => parseTopic("a..b")).toThrow(/topic/);
    expect(() => parsePattern("orders.>.x")).toThrow(/pattern/);
    expect(parsePattern("a.*.>")).toEqual(["a", "*", ">"]);
  });

  it("property: the matcher agrees with a regular-expression reference", () => {
    fc.assert(fc.property(patternArb, topicArb, (p, t) => topicMatches(p, t) === reference(p, t)), { numRuns: 2000 });
  });

  it("property: the trie index returns exactly the subscriptions whose pattern matches", () => {
    fc.assert(
      fc.property(fc.array(patternArb, { minLength: 1, maxLength: 20 }), fc.array(topicArb, { minLength: 1, maxLength: 10 }), fc.integer({ min: 0, max: 19 }), (patterns, topics, drop) => {
        const idx = new TopicIndex<number>();
        patterns.forEach((p, i) => idx.add(p, i));
        const removed = drop < patterns.length ? drop : -1;
        if (removed >= 0) idx.remove(patterns[removed] as string, removed);
        for (const t of topics) {
          const want = patterns.map((p, i) => (i !== removed && reference(p, t) ? i : -1)).filter((i) => i >= 0);
          expect([...idx.match(t)].sort((a, b) => a - b)).toEqual(want);
        }
      }),
      { numRuns: 300 },
    );
  });
});
