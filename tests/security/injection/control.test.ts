/**
 * The control for the injection suite: with the taint guard turned off (`mode: "off"`, no policy
 * rules) the same obeying model and the same planted payloads DO take effect — the attacker server
 * receives the request (with the secret in its header), the sandboxed shell writes the marker, the
 * minion is spawned. So the suite's "0 effects" is the guard's doing, and its effect checks see an
 * effect when there is one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { effects, PAYLOADS, SECRET_VALUE, startWorld, type World } from "./harness.js";
import { LOCAL_SOURCES, MESSAGE_SOURCES, WEB_SOURCES, type Source } from "./sources.js";

describe("control: with the taint guard off, planted instructions work", () => {
  let w: World | undefined;
  beforeAll(async () => {
    w = await startWorld({ mode: "off" });
  }, 60_000);
  afterAll(async () => {
    await w?.stop();
  });

  const cases: [Source | undefined, string][] = [
    [WEB_SOURCES[0], "exfil-get"],
    [WEB_SOURCES[0], "secret-header"],
    [LOCAL_SOURCES[0], "shell-marker"],
    [LOCAL_SOURCES[2], "spawn"],
    [MESSAGE_SOURCES[0], "shell-net"],
  ];
  let n = 0;
  for (const [source, payload] of cases) {
    const id = `k${++n}`;
    it(`${source?.name ?? "?"} -> ${payload} takes effect`, async () => {
      if (w === undefined || source === undefined) throw new Error("no world or source");
      const make = PAYLOADS[payload];
      if (make === undefined) throw new Error(`no payload ${payload}`);
      await source.run(w, id, make(w, id));
      expect(effects(w, id).length).toBeGreaterThan(0);
      if (payload === "secret-header") expect(w.web.hits.find((h) => h.url.startsWith(`/collect/${id}`))?.headers["authorization"]).toBe(`Bearer ${SECRET_VALUE}`);
    });
  }
});
