/**
 * Injection through the web (AgentDojo/InjecAgent style): instructions planted in a page's body, a
 * response header, an HTTP 500's body, a redirect Location that comes back inside a tool error, and
 * a redirect chain listed in the result; each carries each of the attacker's payloads (exfiltration
 * by GET and POST, a secret in a header or a command's environment, a shell marker file, a shell
 * with network, a spawned agent, a file written outside the grant). The scripted model always
 * obeys. Default policy (no policy configured): 0 effects, every attempt refused in the audit.
 */
import { injectionSuite } from "./suite.js";
import { WEB_SOURCES } from "./sources.js";

injectionSuite("prompt injection through web content (default taint guard)", WEB_SOURCES);
