/** Cluster settings are parsed with the bad field named; timing must survive two missed heartbeats. */
import { describe, expect, it } from "vitest";
import { checkName, defaultNodeName, parseClusterConfig } from "../../src/cluster/index.js";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe("parseClusterConfig", () => {
  it("fills the defaults", () => {
    expect(parseClusterConfig({ cluster: "prod", node: "n1" })).toEqual({
      cluster: "prod", node: "n1", heartbeatMs: 1_000, ttlMs: 5_000, capacity: 1_000, mailboxRows: 1_024, tags: [], addr: "",
      compactRows: 10_000, compactEveryMs: 60_000, mailKeysMs: 7 * 86_400_000, repliesMs: 3_600_000,
      placementSlack: 0.05, rebalanceEveryMs: 30_000, rebalanceThreshold: 0.25, rebalanceMoves: 4,
    });
  });
  it.each([
    [{ cluster: "Prod", node: "n1" }, "cluster"],
    [{ cluster: "prod", node: "a.b" }, "node"],
    [{ cluster: "prod", node: "n1", heartbeatMs: 1_000, ttlMs: 2_000 }, "ttlMs"],
    [{ cluster: "prod", node: "n1", capacity: 0 }, "capacity"],
    [{ cluster: "prod", node: "n1", tags: ["gpu", "big ram"] }, "tags.1"],
    [{ cluster: "prod", node: "n1", extra: 1 }, "extra"],
  ])("refuses %j naming %s", (input, path) => {
    expect(thrown(() => parseClusterConfig(input))).toMatchObject({ code: "E_CONFIG", details: { path } });
  });
  it("makes a valid default node name and checks flag values", () => {
    expect(() => checkName(defaultNodeName(), "node")).not.toThrow();
    expect(thrown(() => checkName("a b", "--cluster"))).toMatchObject({ code: "E_CONFIG", details: { path: "--cluster" } });
  });
});
