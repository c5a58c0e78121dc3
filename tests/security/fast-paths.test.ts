/**
 * The security fast paths of the default stack (issue #10 item 8) say exactly what the slow paths
 * said: a lazily made agent key is a real, stable Ed25519 key once anything reads it; a spec grant
 * minted without re-verification equals what verify() returns for it; a cached capability parse is
 * the parse; and secret-slot filling that skips args naming no secret returns what the deep walk
 * returned. Each is checked against the reference (the slow path) on generated input.
 */
import fc from "fast-check";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AiosError, SimulatedClock } from "../../src/core/index.js";
import { parseCapability } from "../../src/capability/index.js";
import { FileKeyStore, Identities, MemoryKeyStore, publicRef, RevocationList, SecretStore, signWith, TokenAuthority, verifyWith } from "../../src/security/index.js";
import { defineTool, eraseTool } from "../../src/tools/index.js";
import { checkSecretRefs, fillSecretSlots } from "../../src/tools/secret-slots.js";

const HOUR = 3_600_000;

function authority(): { authority: TokenAuthority; clock: SimulatedClock; identities: Identities } {
  const clock = new SimulatedClock();
  const identities = new Identities(new MemoryKeyStore(), clock);
  return { authority: new TokenAuthority({ identities, revocations: new RevocationList(), clock, rootAlg: "ed25519" }), clock, identities };
}

describe("lazily made agent keys", () => {
  it("a volatile key's material, once read, signs and verifies, and stays the same in copies and on disk", () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-lazy-key-"));
    const store = new FileKeyStore(dir);
    const ids = new Identities(store, new SimulatedClock());
    const k = ids.ensure("ag_lazy", "ed25519", { volatile: true });
    expect(store.isVolatile(k.id)).toBe(true);
    expect(store.fileOf("ag_lazy")).toBeUndefined();
    const data = Buffer.from("hello");
    const sig = signWith(k, data);
    expect(verifyWith(publicRef(k), data, sig, "ed25519")).toBe(true);
    expect({ ...k }.secret).toBe(k.secret);
    expect({ ...k }.edPublic).toBe(k.edPublic);
    // Asked for without `volatile` (e.g. to sign a message): written, with the material read above.
    expect(ids.ensure("ag_lazy", "ed25519").id).toBe(k.id);
    const file = JSON.parse(readFileSync(store.fileOf("ag_lazy") as string, "utf8")) as { keys: { id: string; secret: string; edPublic: string }[] };
    expect(file.keys).toEqual([expect.objectContaining({ id: k.id, secret: k.secret, edPublic: k.edPublic })]);
    const reopened = new FileKeyStore(dir).get(k.id);
    expect(reopened?.secret).toBe(k.secret);
    expect(verifyWith(publicRef(reopened!), data, sig, "ed25519")).toBe(true);
  });

  it("a rotated lazy key keeps its material in the retired copy", () => {
    const ids = new Identities(new MemoryKeyStore(), new SimulatedClock());
    const k = ids.ensure("ag_r", "ed25519", { volatile: true });
    const { retired, active } = ids.rotate("ag_r");
    expect(retired?.secret).toBe(k.secret);
    expect(retired?.edPublic).toBe(k.edPublic);
    expect(active.id).not.toBe(k.id);
  });

  it("distinct agents get distinct key ids", () => {
    const ids = new Identities(new MemoryKeyStore(), new SimulatedClock());
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(ids.ensure(`ag_${i}`, "ed25519", { volatile: true }).id);
    expect(seen.size).toBe(2000);
  });
});

const CAPS = ["tool:add#call", "llm:scripted#invoke", "file:/data/**#read,write", "net:api.example.com:443#fetch{rate=100/min}", "agent#spawn{max=5}", "llm:*#invoke{tokens=1000}", "memory:shared/*#read"];

describe("spec grants minted without a second verification", () => {
  it("mintVerified returns what verify() returns for the same token", () => {
    fc.assert(
      fc.property(fc.subarray(CAPS, { minLength: 1 }), fc.constantFrom("hmac" as const, "ed25519" as const), fc.integer({ min: -HOUR, max: HOUR }), (caps, scheme, expIn) => {
        const { authority: a, clock } = authority();
        const now = clock.now();
        if (expIn <= 0) {
          // Not valid at `now`: mintVerified fails exactly as verify() fails the same token.
          const reason = (fn: () => unknown): unknown => {
            try {
              fn();
            } catch (e) {
              return (e as AiosError).details["reason"];
            }
            return "no error";
          };
          expect(reason(() => a.mintVerified({ holder: "ag_x", caps, scheme, exp: now + expIn }, now))).toBe("expired");
          expect(reason(() => a.verify(a.mint({ holder: "ag_x", caps, scheme, exp: now + expIn }), now))).toBe("expired");
          return;
        }
        const fast = a.mintVerified({ holder: "ag_x", caps, scheme, exp: now + expIn }, now);
        const slow = a.verify(fast.token, now);
        expect(fast).toEqual(slow);
      }),
      { numRuns: 60 },
    );
  });
});

describe("capability parse cache", () => {
  it("a cached parse equals a fresh one, is frozen, and errors still name their field", () => {
    for (const c of CAPS) {
      const first = parseCapability(c);
      const again = parseCapability(c, "other");
      expect(again).toBe(first);
      expect(Object.isFrozen(first)).toBe(true);
      expect(Object.isFrozen(first.actions)).toBe(true);
      expect(first.matcher.global).toBe(false);
    }
    expect(() => parseCapability("no-hash", "caps[3]")).toThrow(/caps\[3\]/);
    expect(() => parseCapability("no-hash", "caps[4]")).toThrow(/caps\[4\]/);
  });
});

/** The substitution of one slot string as a plain deep walk would do it (the reference). */
function referenceFill(store: SecretStore, s: string, mayUse: (n: string) => boolean): string {
  return s.replace(/\{\{secret:([A-Za-z_][A-Za-z0-9_.-]{0,127})\}\}/g, (_m, name: string) => {
    if (!mayUse(name)) throw new AiosError("E_CAP_DENIED", `no capability allows using secret ${name}`);
    const v = store.reveal(name);
    if (v === undefined) throw new AiosError("E_NOT_FOUND", `secret ${name} does not exist`);
    return v;
  });
}

describe("secret slots: the scan that skips args naming no secret changes nothing", () => {
  const store = new SecretStore();
  store.set("API_KEY", "sk-live-123456");
  store.set("OTHER", "other-value-99");
  const mayUse = (n: string): boolean => n === "API_KEY";
  const reveal = { revealSecret: (n: string): string => referenceFill(store, `{{secret:${n}}}`, mayUse) };
  const tool = eraseTool(defineTool({ name: "t.slots", description: "", input: z.unknown(), sideEffect: false, secretSlots: ["headers.*"], requires: () => [], execute: () => Promise.resolve(null) }));
  const piece = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("{{secret:API_KEY}}", "{{secret:OTHER}}", "{{secret:MISSING}}", "{{secret:", "}}"));
  const str = fc.array(piece, { maxLength: 4 }).map((p) => p.join(""));
  const headers = fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).filter((k) => !k.includes("{")), str, { maxKeys: 4 });

  it("fills exactly the slot strings, with the same value or the same error as the reference", () => {
    fc.assert(
      fc.property(headers, (h) => {
        let want: unknown;
        let wantErr: string | undefined;
        try {
          want = { headers: Object.fromEntries(Object.entries(h).map(([k, v]) => [k, referenceFill(store, v, mayUse)])) };
        } catch (e) {
          wantErr = (e as AiosError).code;
        }
        let got: unknown;
        let gotErr: string | undefined;
        try {
          got = fillSecretSlots(tool, { headers: h }, reveal);
        } catch (e) {
          gotErr = (e as AiosError).code;
        }
        expect(gotErr).toBe(wantErr);
        if (wantErr === undefined) expect(got).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it("hands args with no reference on as they are, and refuses a reference outside a slot", () => {
    const plain = { headers: { accept: "text/html" }, body: "hello" };
    expect(fillSecretSlots(tool, plain, reveal)).toBe(plain);
    expect(checkSecretRefs(tool, plain)).toEqual([]);
    const out = fillSecretSlots(tool, { headers: { a: "x {{secret:API_KEY}} y" } }, reveal);
    expect(out).toEqual({ headers: { a: "x sk-live-123456 y" } });
    expect(() => fillSecretSlots(tool, { headers: { a: "{{secret:OTHER}}" } }, reveal)).toThrow(/secret OTHER/);
    expect(() => checkSecretRefs(tool, { body: "{{secret:API_KEY}}" })).toThrow(/args\.body: a secret reference may only appear in a secret slot/);
    expect(() => checkSecretRefs(tool, { headers: { "{{secret:API_KEY}}": "v" } })).toThrow(/object key/);
    expect(checkSecretRefs(tool, { headers: { a: "{{secret:API_KEY}}", b: "{{secret:OTHER}}" } })).toEqual(["API_KEY", "OTHER"]);
  });
});
