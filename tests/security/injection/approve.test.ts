/**
 * The taint guard in approve mode: a tainted agent's planted call is parked for a person instead of
 * refused outright; here the person always says no (the suite denies every approval request as it
 * is raised). Sources: a web page, a file, an MCP result, another tenant's message; payloads:
 * exfiltration, a shell marker, a spawn, a secret in a header. 0 effects; every attempt in the audit
 * as denied after its approval was refused.
 */
import { injectionSuite } from "./suite.js";
import { LOCAL_SOURCES, MESSAGE_SOURCES, WEB_SOURCES } from "./sources.js";

const pick = [WEB_SOURCES[0], LOCAL_SOURCES[0], LOCAL_SOURCES[2], MESSAGE_SOURCES[0]].flatMap((s) => (s === undefined ? [] : [s]));

injectionSuite("prompt injection under taintGuard.mode approve (a person says no)", pick, {
  taintGuard: { mode: "approve", timeout: "1m" },
  payloads: ["exfil-get", "shell-marker", "spawn", "secret-header"],
});
