/**
 * A hand-written check for the common agent spec: an `llm` or `code` agent given as a plain object
 * with scalar fields, string lists, a logic object and perhaps a budget. It returns exactly what
 * `AgentSpecSchema` would return for that input — the same fields in the same order, the defaults
 * filled in, the lists copied — or `undefined` for anything it does not vouch for (supervisors,
 * children, memory, mailbox, output schemas, unknown keys, a value out of range, ...), which zod then
 * decides and words the error for. Every spawn parsed its spec with zod, and a program that builds
 * a distinct spec per agent (`await os.spawn({ name: `agent-${i}`, ... })`) paid that parse on every
 * spawn: most of the SDK spawn path's time. tests/kernel/spec-check.property.test.ts checks this
 * against the schema on generated specs, valid and not.
 */
/**
 * An agent's name: segments of 1-128 letters, digits, '.', '_', '-' joined by '/', at most
 * AGENT_NAME_MAX characters. The kernel writes '/': a process an agent creates is named under its
 * creator (`creator/child`, kernel/names.ts), so a name says who created it.
 */
export const AGENT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(?:\/[A-Za-z0-9][A-Za-z0-9._-]{0,127})*$/;
export const AGENT_NAME_MAX = 1024;
const NAME_RE = AGENT_NAME_RE;
const RESTART: ReadonlySet<unknown> = new Set(["permanent", "transient", "temporary"]);
const TIER: ReadonlySet<unknown> = new Set(["macro", "meso", "micro"]);

/** Keys this check understands; any other key (or none of these rules met) leaves it to zod. */
const KNOWN: ReadonlySet<string> = new Set([
  "name", "kind", "version", "description", "model", "instructions", "goal", "tools", "capabilities", "restart", "priority", "weight",
  "budget", "tier", "tenant", "ephemeral", "durable", "logic", "module", "export", "isolation", "args", "hogThresholdMs", "maxSteps",
]);

const str = (v: unknown, min: number, max = Infinity): v is string => typeof v === "string" && v.length >= min && v.length <= max;
const posInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v > 0;
const posNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v > 0;

/** The schema's default applies to an absent field only (null is a value, and a wrong one). */
const dflt = (v: unknown, d: unknown): unknown => (v === undefined ? d : v);

function isPlain(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A copy of a list of non-empty strings, or undefined. */
function names(v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out = new Array<string>(v.length);
  for (let i = 0; i < v.length; i++) {
    const s: unknown = v[i];
    if (typeof s !== "string" || s.length === 0) return undefined;
    out[i] = s;
  }
  return out;
}

type Budget = { tokens?: number; credits?: number; wallTimeMs?: number };

function budget(v: unknown): Budget | undefined {
  if (!isPlain(v)) return undefined;
  const out: Budget = {};
  let n = 0;
  if (v["tokens"] !== undefined) {
    if (!posInt(v["tokens"])) return undefined;
    out.tokens = v["tokens"];
    n++;
  }
  if (v["credits"] !== undefined) {
    if (!posNum(v["credits"])) return undefined;
    out.credits = v["credits"];
    n++;
  }
  if (v["wallTimeMs"] !== undefined) {
    if (!posInt(v["wallTimeMs"])) return undefined;
    out.wallTimeMs = v["wallTimeMs"];
    n++;
  }
  // Every key accounted for: no unknown key (strict), no key present with the value undefined.
  return Object.keys(v).length === n ? out : undefined;
}

/**
 * The parsed spec (what AgentSpecSchema outputs) when the common shape holds; undefined: ask zod.
 * Typed loosely so this file needs nothing from agent.ts, which calls it (no import cycle).
 */
export function checkCommonSpec(input: unknown): Record<string, unknown> | undefined {
  if (!isPlain(input)) return undefined;
  for (const k in input) {
    if (!Object.hasOwn(input, k)) continue;
    // An own key set to undefined, an unknown key: zod's call (it treats both its own way).
    if (!KNOWN.has(k) || input[k] === undefined) return undefined;
  }
  const o = input;
  const kind = o["kind"];
  if (kind !== "llm" && kind !== "code") return undefined;
  if (typeof o["name"] !== "string" || o["name"].length > AGENT_NAME_MAX || !NAME_RE.test(o["name"])) return undefined;
  // Built in the schema's field order, as zod builds its output.
  const s: Record<string, unknown> = { name: o["name"], kind };
  const version = dflt(o["version"], "1");
  if (!str(version, 1, 64)) return undefined;
  s["version"] = version;
  if (o["description"] !== undefined) {
    if (!str(o["description"], 0, 4096)) return undefined;
    s["description"] = o["description"];
  }
  if (o["model"] !== undefined) {
    if (!str(o["model"], 1)) return undefined;
    s["model"] = o["model"];
  }
  if (o["instructions"] !== undefined) {
    if (typeof o["instructions"] !== "string") return undefined;
    s["instructions"] = o["instructions"];
  }
  if (o["goal"] !== undefined) {
    if (typeof o["goal"] !== "string") return undefined;
    s["goal"] = o["goal"];
  }
  const tools = o["tools"] === undefined ? [] : names(o["tools"]);
  if (tools === undefined) return undefined;
  s["tools"] = tools;
  const capabilities = o["capabilities"] === undefined ? [] : names(o["capabilities"]);
  if (capabilities === undefined) return undefined;
  s["capabilities"] = capabilities;
  const restart = dflt(o["restart"], "permanent");
  if (!RESTART.has(restart)) return undefined;
  s["restart"] = restart;
  const priority = dflt(o["priority"], 0);
  if (typeof priority !== "number" || !Number.isSafeInteger(priority) || priority < -20 || priority > 20) return undefined;
  s["priority"] = priority;
  const weight = dflt(o["weight"], 1);
  if (!posNum(weight) || weight > 10_000) return undefined;
  s["weight"] = weight;
  if (o["budget"] !== undefined) {
    const b = budget(o["budget"]);
    if (b === undefined) return undefined;
    s["budget"] = b;
  }
  const tier = dflt(o["tier"], "meso");
  if (!TIER.has(tier)) return undefined;
  s["tier"] = tier;
  const tenant = dflt(o["tenant"], "default");
  if (!str(tenant, 1, 128)) return undefined;
  s["tenant"] = tenant;
  const ephemeral = dflt(o["ephemeral"], false);
  if (typeof ephemeral !== "boolean") return undefined;
  s["ephemeral"] = ephemeral;
  if (o["durable"] !== undefined) {
    if (typeof o["durable"] !== "boolean") return undefined;
    s["durable"] = o["durable"];
  }
  const logic = o["logic"];
  if (logic !== undefined) {
    const ok = str(logic, 1) || (typeof logic === "object" && logic !== null && typeof (logic as { receive?: unknown }).receive === "function");
    if (!ok) return undefined;
    s["logic"] = logic;
  }
  if (o["module"] !== undefined) {
    if (!str(o["module"], 1)) return undefined;
    s["module"] = o["module"];
  }
  if (o["export"] !== undefined) {
    if (!str(o["export"], 1)) return undefined;
    s["export"] = o["export"];
  }
  if (o["isolation"] !== undefined) {
    if (o["isolation"] !== "trusted" && o["isolation"] !== "isolated") return undefined;
    if (o["isolation"] === "isolated" && (s["module"] === undefined || s["logic"] !== undefined)) return undefined;
    s["isolation"] = o["isolation"];
  }
  if (o["args"] !== undefined) s["args"] = o["args"];
  if (o["hogThresholdMs"] !== undefined) {
    if (!posNum(o["hogThresholdMs"])) return undefined;
    s["hogThresholdMs"] = o["hogThresholdMs"];
  }
  if (o["maxSteps"] !== undefined) {
    if (!posInt(o["maxSteps"])) return undefined;
    s["maxSteps"] = o["maxSteps"];
  }
  // The schema's cross-field rules: when one would object, zod words the issue.
  if (kind === "code" && s["logic"] === undefined && s["module"] === undefined) return undefined;
  if (kind === "llm" && s["model"] === undefined) return undefined;
  if (ephemeral && s["durable"] === true) return undefined;
  return s;
}
