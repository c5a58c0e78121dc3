/**
 * The acknowledgement mark's group commit (src/store/mark-commit.ts, ADR 0059), driven step by step
 * with a mark whose writes complete when the test says: which points it writes, when a batch's
 * appends are acknowledged, and when a refused batch makes the mark stale. The same orderings with
 * real files and kill -9 are in mark-beside-commit.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { AckMark, AckPoint, AckRead } from "../../src/store/index.js";
import { MarkCommit } from "../../src/store/mark-commit.js";

/** A mark that records every write; async writes wait until `finish()`. */
class SteppedMark implements AckMark {
  readonly location = "memory";
  readonly sync: AckPoint[] = [];
  readonly async: AckPoint[] = [];
  private pending: (() => void)[] = [];
  read(): AckRead {
    return { state: "missing" };
  }
  write(point: AckPoint): void {
    this.sync.push(point);
  }
  writeAsync(point: AckPoint): Promise<void> {
    this.async.push(point);
    return new Promise((resolve) => this.pending.push(resolve));
  }
  /** Completes the async write in flight and lets its continuation run. */
  async finish(): Promise<void> {
    const p = this.pending.shift();
    expect(p, "a mark write is in flight").toBeDefined();
    p?.();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
  close(): void {}
}

function setup(): { mark: SteppedMark; marks: MarkCommit; point: { seq: number; chain: number } } {
  const mark = new SteppedMark();
  const point = { seq: 0, chain: 0 };
  const marks = new MarkCommit(mark, () => ({ seq: point.seq, chain: point.chain }), 10_000);
  return { mark, marks, point };
}

describe("MarkCommit", () => {
  it("writes the mark beside the commit and acknowledges once both are done", async () => {
    const { mark, marks, point } = setup();
    let acked = 0;
    const w = marks.begin(3, 33, 3, () => acked++);
    // The mark goes out ahead of the commit, naming the committed point below the batch.
    expect(mark.async).toEqual([{ seq: 3, chain: 33, from: { seq: 0, chain: 0 } }]);
    await mark.finish();
    expect(acked).toBe(0); // the batch is not stored yet
    Object.assign(point, { seq: 3, chain: 33 });
    marks.stored(w);
    expect(acked).toBe(1);
  });

  it("acknowledges batches in seq order, one mark covering those committed meanwhile", async () => {
    const { mark, marks, point } = setup();
    const acked: number[] = [];
    const a = marks.begin(2, 22, 2, () => acked.push(2));
    Object.assign(point, { seq: 2, chain: 22 });
    marks.stored(a);
    const b = marks.begin(4, 44, 2, () => acked.push(4));
    Object.assign(point, { seq: 4, chain: 44 });
    marks.stored(b);
    expect(mark.async).toHaveLength(1); // one write in flight
    await mark.finish();
    expect(acked).toEqual([2]); // the first write covered only the first batch
    expect(mark.async[1]).toEqual({ seq: 4, chain: 44 });
    await mark.finish();
    expect(acked).toEqual([2, 4]);
  });

  it("puts the mark back after a refused batch a mark covered", async () => {
    const { mark, marks } = setup();
    const w = marks.begin(5, 55, 5, () => undefined);
    expect(mark.async[0]?.seq).toBe(5);
    await mark.finish();
    marks.refused(w);
    await marks.correct();
    expect(mark.sync).toEqual([{ seq: 0, chain: 0 }]);
    await marks.correct(); // once
    expect(mark.sync).toHaveLength(1);
  });

  it("leaves the mark alone after a refused batch no mark covered", async () => {
    const { mark, marks, point } = setup();
    const a = marks.begin(1, 11, 1, () => undefined);
    Object.assign(point, { seq: 1, chain: 11 });
    marks.stored(a);
    // The first mark is still in flight: the next batch goes to the store with no mark of its own.
    const b = marks.begin(2, 22, 1, () => undefined);
    expect(mark.async).toHaveLength(1);
    marks.refused(b);
    await mark.finish();
    await marks.correct();
    expect(mark.sync).toEqual([]);
  });

  it("counts a failed mark write and still acknowledges what the store holds", async () => {
    const mark = new SteppedMark();
    mark.writeAsync = (p: AckPoint): Promise<void> => {
      mark.async.push(p);
      return Promise.reject(new Error("EIO"));
    };
    const point = { seq: 0, chain: 0 };
    const marks = new MarkCommit(mark, () => ({ ...point }), 10_000);
    let acked = 0;
    const w = marks.begin(1, 11, 1, () => acked++);
    Object.assign(point, { seq: 1, chain: 11 });
    marks.stored(w);
    await marks.settled();
    expect(acked).toBe(1);
    expect(marks.failures).toBeGreaterThanOrEqual(1);
  });
});
