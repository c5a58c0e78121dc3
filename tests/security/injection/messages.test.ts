/**
 * Injection through other agents: a message from an agent of another tenant, a message relayed by a
 * same-tenant agent that read the attacker's page, a shared memory record written by a tainted
 * agent, and a stream chunk from a tainted producer. The first two reach an LLM victim whose
 * scripted model always obeys; the last two a code agent that runs every planted call it reads
 * (spawn through the AgentSpawn syscall). Default policy: 0 effects, every attempt refused.
 */
import { injectionSuite } from "./suite.js";
import { MESSAGE_SOURCES } from "./sources.js";

injectionSuite("prompt injection through messages, memory and streams (default taint guard)", MESSAGE_SOURCES);
