/**
 * The ack mark's running hash (ack-mark.ts chainNext) is CRC-32 of the record checksum's four
 * little-endian bytes seeded with the previous hash: the marks written before it was computed in
 * JavaScript used zlib's crc32 of that word, so a journal and its mark from then must still agree.
 * zlib is the oracle here, for any seed and checksum, and for chains of them.
 */
import { crc32 } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chainNext } from "../../src/store/index.js";

const word = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0, 0);
  return b;
};

describe("the ack mark's running hash", () => {
  it("is zlib's crc32 of the checksum's little-endian word, seeded with the chain", () => {
    const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
    fc.assert(fc.property(u32, u32, (chain, crc) => {
      expect(chainNext(chain, crc)).toBe(crc32(word(crc), chain));
    }), { numRuns: 2000 });
    for (const [chain, crc] of [[0, 0], [0xffff_ffff, 0xffff_ffff], [0, 0xffff_ffff], [0xffff_ffff, 0], [1, 0x8000_0000]] as const) {
      expect(chainNext(chain, crc)).toBe(crc32(word(crc), chain));
    }
  });

  it("folds a whole journal's checksums as zlib would", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 0xffff_ffff }), { maxLength: 200 }), (crcs) => {
      let ours = 0;
      let theirs = 0;
      for (const c of crcs) {
        ours = chainNext(ours, c);
        theirs = crc32(word(c), theirs);
      }
      expect(ours).toBe(theirs);
    }), { numRuns: 300 });
  });
});
