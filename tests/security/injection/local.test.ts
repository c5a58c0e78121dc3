/**
 * Injection through what an agent reads locally and from tool servers: a file's content, a file's
 * name in a directory listing, a real MCP server's tool result and its tool error (isError), each
 * carrying each of the attacker's payloads (a file name only those that fit in 255 bytes). The
 * scripted model always obeys. Default policy: 0 effects, every attempt refused in the audit.
 */
import { injectionSuite } from "./suite.js";
import { LOCAL_SOURCES } from "./sources.js";

injectionSuite("prompt injection through files and MCP results (default taint guard)", LOCAL_SOURCES);
