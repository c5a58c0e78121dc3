/**
 * agent.spawn's attenuation check as properties: whenever a child glob is judged a subset of a
 * parent glob, every concrete string the child matches is matched by the parent; and a capability
 * always covers itself. Plus the constraint rules (lists, quantities, dropped constraints).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { covers as capabilityCovers, firstUncovered, globCovers, globToRegExp, parseCapability, type Capability as ParsedCapability } from "../../src/capability/index.js";

const globSubset = (child: string, parent: string): boolean => globCovers(parent, child);

const alphabet = fc.constantFrom("a", "b", "/", "*", "**", "?");
const glob = fc.array(alphabet, { maxLength: 7 }).map((p) => p.join(""));
const concrete = fc.array(fc.constantFrom("a", "b", "/"), { maxLength: 8 }).map((p) => p.join(""));

/** A concrete string matched by the glob, built by choosing a filler for each wildcard. */
const instanceOf = (g: string): fc.Arbitrary<string> =>
  fc.tuple(...[...g.matchAll(/\*\*|\*|\?|[^*?]/g)].map((m) => {
    const t = m[0];
    if (t === "**") return concrete;
    if (t === "*") return fc.array(fc.constantFrom("a", "b"), { maxLength: 3 }).map((x) => x.join(""));
    if (t === "?") return fc.constantFrom("a", "b");
    return fc.constant(t);
  })).map((parts) => parts.join(""));

function cap(s: string): ParsedCapability {
  return parseCapability(s);
}

describe("glob subset", () => {
  it("is sound: a child judged inside the parent only matches strings the parent matches", () => {
    fc.assert(
      fc.property(glob, glob, (child, parent) => {
        if (!globSubset(child, parent)) return;
        const re = globToRegExp(parent);
        fc.assert(fc.property(instanceOf(child), (s) => {
          expect(re.test(s)).toBe(true);
        }), { numRuns: 20 });
      }),
      { numRuns: 300 },
    );
  });

  it("is reflexive and refuses the classic widenings", () => {
    fc.assert(fc.property(glob, (g) => {
      expect(globSubset(g, g)).toBe(true);
    }));
    expect(globSubset("file:/data/**", "file:/data/*")).toBe(false);
    expect(globSubset("file:/data/*", "file:/data/**")).toBe(true);
    expect(globSubset("file:/data/x/y", "file:/data/*")).toBe(false);
    expect(globSubset("file:/d?ta/x", "file:/data/*")).toBe(false);
  });
});

describe("capability cover", () => {
  it("checks actions, constraints and resources together", () => {
    expect(capabilityCovers(cap("file:/d/**#read,write"), cap("file:/d/x#read"))).toBe(true);
    expect(capabilityCovers(cap("file:/d/**#read"), cap("file:/d/x#read,write"))).toBe(false);
    expect(capabilityCovers(cap("file:/d/**#read"), cap("file:/d/x#*"))).toBe(false);
    expect(capabilityCovers(cap("shell#exec{allow=[ls,cat]}"), cap("shell#exec{allow=[ls]}"))).toBe(true);
    expect(capabilityCovers(cap("shell#exec{allow=[ls]}"), cap("shell#exec{allow=[ls,rm]}"))).toBe(false);
    expect(capabilityCovers(cap("shell#exec{allow=[ls]}"), cap("shell#exec"))).toBe(false);
    expect(capabilityCovers(cap("llm:*#invoke{tokens=1000}"), cap("llm:gpt#invoke{tokens=10}"))).toBe(true);
    expect(capabilityCovers(cap("llm:*#invoke{tokens=1000}"), cap("llm:gpt#invoke{tokens=5000}"))).toBe(false);
    expect(capabilityCovers(cap("net:*:443#fetch{rate=100/min}"), cap("net:a.com:443#fetch{rate=10/min}"))).toBe(true);
    expect(capabilityCovers(cap("net:*:443#fetch{rate=100/min}"), cap("net:a.com:443#fetch{rate=10/s}"))).toBe(false);
    expect(firstUncovered(["a:*#x"], ["a:b#x", "c:d#x"])).toBe("c:d#x");
    expect(firstUncovered(["a:*#x"], ["not a capability"])).toBe("not a capability");
  });
});
