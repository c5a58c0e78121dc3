/**
 * http.fetch egress against a real loopback server: the allow-list by host and port, address
 * classes (loopback, private, link-local) refused unless granted, DNS resolved once and pinned
 * (rebinding through an injected resolver), redirects re-checked hop by hop, size and time limits.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/index.js";
import { ToolRegistry, classifyAddress, httpTool, type ResolvedAddress } from "../../src/tools/index.js";
import { ctxFor } from "../tools/helpers.js";

let server: Server;
let port = 0;
let hits = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    if (req.url === "/ok") res.end("hello from loopback");
    else if (req.url === "/big") res.end("z".repeat(100_000));
    else if (req.url === "/to-ok") res.writeHead(302, { location: "/ok" }).end();
    else if (req.url === "/to-forbidden") res.writeHead(302, { location: `http://forbidden.test:${port}/ok` }).end();
    else if (req.url === "/to-metadata") res.writeHead(301, { location: "http://169.254.169.254/latest/meta-data/" }).end();
    else if (req.url === "/hang") res.writeHead(200); // headers only, the body never ends
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const resolver = (table: Record<string, string[]>) => {
  const calls: string[] = [];
  const fn = async (host: string): Promise<ResolvedAddress[]> => {
    calls.push(host);
    return (table[host] ?? []).map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return { fn, calls };
};

const CALL = "tool:http.fetch#call";
const LOOP = () => [CALL, `net:127.0.0.1:${port}#fetch`, "net-class:loopback#connect"];

function registry(resolve?: (h: string) => Promise<ResolvedAddress[]>): ToolRegistry {
  const reg = new ToolRegistry();
  reg.register(httpTool({ maxBytes: 10_000, timeoutMs: 5000, ...(resolve === undefined ? {} : { resolve }) }));
  return reg;
}

describe("http.fetch egress", () => {
  it("fetches from loopback when host, port and the loopback class are granted", async () => {
    const r = await registry().execute("http.fetch", { url: `http://127.0.0.1:${port}/ok` }, ctxFor(LOOP()));
    expect(r).toMatchObject({ status: 200, body: "hello from loopback", truncated: false });
  });

  it("refuses loopback without the class grant, and hosts or ports not on the allow-list", async () => {
    const reg = registry();
    const before = hits;
    await expect(reg.execute("http.fetch", { url: `http://127.0.0.1:${port}/ok` }, ctxFor([CALL, `net:127.0.0.1:${port}#fetch`]))).rejects.toThrow(/loopback address; refused/);
    await expect(reg.execute("http.fetch", { url: `http://127.0.0.1:${port + 1}/ok` }, ctxFor(LOOP()))).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    await expect(reg.execute("http.fetch", { url: `http://example.com/` }, ctxFor(LOOP()))).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    expect(hits).toBe(before);
  });

  it("refuses private and link-local addresses even under a wildcard host grant", async () => {
    const reg = registry();
    const any = [CALL, "net:*:*#fetch"];
    await expect(reg.execute("http.fetch", { url: "http://10.1.2.3/" }, ctxFor(any))).rejects.toThrow(/private address/);
    await expect(reg.execute("http.fetch", { url: "http://192.168.0.1:8080/" }, ctxFor(any))).rejects.toThrow(/private address/);
    await expect(reg.execute("http.fetch", { url: "http://169.254.169.254/latest/meta-data/" }, ctxFor(any))).rejects.toThrow(/link-local address/);
    await expect(reg.execute("http.fetch", { url: "http://[::1]:80/" }, ctxFor(any))).rejects.toThrow(/loopback address/);
    await expect(reg.execute("http.fetch", { url: "http://[::ffff:127.0.0.1]/" }, ctxFor(any))).rejects.toThrow(/loopback address/);
    await expect(reg.execute("http.fetch", { url: "http://0.0.0.0/" }, ctxFor(any))).rejects.toThrow(/reserved address/);
  });

  it("refuses a name that resolves to a private address", async () => {
    const { fn } = resolver({ "internal.test": ["10.0.0.7"] });
    await expect(registry(fn).execute("http.fetch", { url: "http://internal.test/" }, ctxFor([CALL, "net:internal.test:80#fetch"]))).rejects.toThrow(/internal.test resolves to 10.0.0.7, a private address/);
  });

  it("resolves once and connects to the checked address (DNS rebinding cannot redirect it)", async () => {
    // First answer 127.0.0.1 (where the server is); any later answer points elsewhere.
    let n = 0;
    const fn = async (): Promise<ResolvedAddress[]> => [{ address: n++ === 0 ? "127.0.0.1" : "127.0.0.9", family: 4 }];
    const r = await registry(fn).execute("http.fetch", { url: `http://rebind.test:${port}/ok` }, ctxFor([CALL, `net:rebind.test:${port}#fetch`, "net-class:loopback#connect"]));
    expect(r).toMatchObject({ status: 200, body: "hello from loopback" });
    expect(n).toBe(1);
  });

  it("a rebinding answer of loopback after a public first answer never reaches loopback", async () => {
    let n = 0;
    const fn = async (): Promise<ResolvedAddress[]> => [{ address: n++ === 0 ? "203.0.113.7" : "127.0.0.1", family: 4 }];
    const clock = new SimulatedClock();
    const before = hits;
    const p = registry(fn).execute("http.fetch", { url: `http://rebind2.test:${port}/ok` }, ctxFor([CALL, `net:rebind2.test:${port}#fetch`], clock));
    p.catch(() => undefined);
    clock.advance(5000); // whether the public address is unreachable or hangs, the call ends
    await expect(p).rejects.toMatchObject({ code: expect.stringMatching(/E_TIMEOUT|E_TOOL/) });
    expect(n).toBe(1);
    expect(hits).toBe(before);
  });

  it("re-checks every redirect hop", async () => {
    const { fn } = resolver({ "forbidden.test": ["127.0.0.1"] });
    const reg = registry(fn);
    const ok = await reg.execute("http.fetch", { url: `http://127.0.0.1:${port}/to-ok` }, ctxFor(LOOP()));
    expect(ok).toMatchObject({ status: 200, body: "hello from loopback", redirects: [`http://127.0.0.1:${port}/ok`] });
    await expect(reg.execute("http.fetch", { url: `http://127.0.0.1:${port}/to-forbidden` }, ctxFor(LOOP()))).rejects.toThrow(new RegExp(`net:forbidden.test:${port}#fetch denied`));
    await expect(reg.execute("http.fetch", { url: `http://127.0.0.1:${port}/to-metadata` }, ctxFor([...LOOP(), "net:*:*#fetch"]))).rejects.toThrow(/link-local/);
  });

  it("truncates bodies at the size limit", async () => {
    const r = await registry().execute("http.fetch", { url: `http://127.0.0.1:${port}/big`, maxBytes: 1000 }, ctxFor(LOOP()));
    expect(r).toMatchObject({ truncated: true, bytes: 1000 });
    const capped = await registry().execute("http.fetch", { url: `http://127.0.0.1:${port}/big`, maxBytes: 50_000_000 }, ctxFor(LOOP()));
    expect(capped).toMatchObject({ truncated: true, bytes: 10_000 });
  });

  it("times out on the injected clock", async () => {
    const clock = new SimulatedClock();
    const p = registry().execute("http.fetch", { url: `http://127.0.0.1:${port}/hang`, timeoutMs: 1000 }, ctxFor(LOOP(), clock));
    p.catch(() => undefined);
    await new Promise<void>((r) => setTimeout(r, 0)).then(() => clock.advance(1000));
    await expect(p).rejects.toMatchObject({ code: "E_TIMEOUT" });
  });

  it("refuses non-http schemes and malformed URLs with clear errors", async () => {
    const reg = registry();
    await expect(reg.execute("http.fetch", { url: "file:///etc/passwd" }, ctxFor([CALL, "net:*:*#fetch"]))).rejects.toMatchObject({ code: "E_INVALID_ARG", message: expect.stringMatching(/args.url: only http and https/) });
    await expect(reg.execute("http.fetch", { url: "http://user:pw@127.0.0.1/" }, ctxFor([CALL, "net:*:*#fetch"]))).rejects.toMatchObject({ code: "E_INVALID_ARG" });
    await expect(reg.execute("http.fetch", { url: "not a url" }, ctxFor([CALL]))).rejects.toMatchObject({ code: "E_INVALID_ARG" });
    await expect(reg.execute("http.fetch", { url: `http://127.0.0.1:${port}/ok`, headers: { "x-a": "b\r\nInjected: 1" } }, ctxFor(LOOP()))).rejects.toThrow(/args.headers.x-a/);
  });
});

describe("address classes", () => {
  it("classifies the special ranges", () => {
    expect(classifyAddress("8.8.8.8")).toBe("public");
    expect(classifyAddress("172.16.0.1")).toBe("private");
    expect(classifyAddress("172.32.0.1")).toBe("public");
    expect(classifyAddress("100.64.0.1")).toBe("private");
    expect(classifyAddress("fd00::1")).toBe("private");
    expect(classifyAddress("fe80::1")).toBe("link-local");
    expect(classifyAddress("::ffff:169.254.1.1")).toBe("link-local");
    expect(classifyAddress("2606:4700::1111")).toBe("public");
    expect(classifyAddress("::")).toBe("reserved");
  });

  it("every 127/8 and 10/8 address, also IPv4-mapped in IPv6, is never public", () => {
    fc.assert(
      fc.property(fc.constantFrom(127, 10), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), (a, b, c, d) => {
        const v4 = `${a}.${b}.${c}.${d}`;
        const cls = a === 127 ? "loopback" : "private";
        expect(classifyAddress(v4)).toBe(cls);
        expect(classifyAddress(`::ffff:${v4}`)).toBe(cls);
        const hex = (x: number, y: number): string => ((x << 8) | y).toString(16);
        expect(classifyAddress(`::ffff:${hex(a, b)}:${hex(c, d)}`)).toBe(cls);
      }),
    );
  });
});
