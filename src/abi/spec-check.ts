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

/**
 * How many levels a spec tree (supervisors holding children) may have, the root being one. The
 * schema checks `children` recursively and a spec is frozen through (settled-spec.ts): a tree
 * thousands of levels deep overflowed the stack in the check (a RangeError with no code) instead
 * of being refused. No supervision tree needs more.
 */
export const MAX_TREE_DEPTH = 16;

/** True when the spec tree `input` has more than `levels` levels (a cycle has more than any). */
export function treeDeeperThan(input: unknown, levels: number): boolean {
  if (typeof input !== "object" || input === null) return false;
  if (levels <= 0) return true;
  const children = (input as { children?: unknown }).children;
  if (!Array.isArray(children)) return false;
  for (let i = 0; i < children.length; i++) if (treeDeeperThan(children[i], levels - 1)) return true;
  return false;
}
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

/** A copy of a list of non-empty strings (the shared empty list for an empty one), or undefined. */
function names(v: unknown): readonly string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  if (v.length === 0) return NONE;
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
 * One frozen empty list for every spec without tools or capabilities (the schema's default, and an
 * empty list given): nothing writes a parsed spec's lists, and a frozen one refuses it loudly.
 */
const NONE: readonly string[] = Object.freeze([]);

/**
 * The parsed spec (what AgentSpecSchema outputs) when the common shape holds; undefined: ask zod.
 * Typed loosely so this file needs nothing from agent.ts, which calls it (no import cycle).
 *
 * Every field is checked before anything is allocated; the common shapes (no description,
 * instructions, goal, budget or durable) are then built as one object literal, whose fields V8 keeps
 * inside the object: a spec built field by field keeps most of them in a second, out-of-object
 * array, and every agent holds its spec for life.
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
  const name = o["name"];
  if (typeof name !== "string" || name.length > AGENT_NAME_MAX || !NAME_RE.test(name)) return undefined;
  const version = dflt(o["version"], "1");
  if (!str(version, 1, 64)) return undefined;
  const { description, model, instructions, goal } = o;
  if (description !== undefined && !str(description, 0, 4096)) return undefined;
  if (model !== undefined && !str(model, 1)) return undefined;
  if (instructions !== undefined && typeof instructions !== "string") return undefined;
  if (goal !== undefined && typeof goal !== "string") return undefined;
  const tools = o["tools"] === undefined ? NONE : names(o["tools"]);
  if (tools === undefined) return undefined;
  const capabilities = o["capabilities"] === undefined ? NONE : names(o["capabilities"]);
  if (capabilities === undefined) return undefined;
  const restart = dflt(o["restart"], "permanent");
  if (!RESTART.has(restart)) return undefined;
  const priority = dflt(o["priority"], 0);
  if (typeof priority !== "number" || !Number.isSafeInteger(priority) || priority < -20 || priority > 20) return undefined;
  const weight = dflt(o["weight"], 1);
  if (!posNum(weight) || weight > 10_000) return undefined;
  const budgetIn = o["budget"];
  const b = budgetIn === undefined ? undefined : budget(budgetIn);
  if (budgetIn !== undefined && b === undefined) return undefined;
  const tier = dflt(o["tier"], "meso");
  if (!TIER.has(tier)) return undefined;
  const tenant = dflt(o["tenant"], "default");
  if (!str(tenant, 1, 128)) return undefined;
  const ephemeral = dflt(o["ephemeral"], false);
  if (typeof ephemeral !== "boolean") return undefined;
  const { durable, logic, module, isolation, args, hogThresholdMs, maxSteps } = o;
  const exported = o["export"];
  if (durable !== undefined && typeof durable !== "boolean") return undefined;
  if (logic !== undefined && !(str(logic, 1) || (typeof logic === "object" && logic !== null && typeof (logic as { receive?: unknown }).receive === "function"))) return undefined;
  if (module !== undefined && !str(module, 1)) return undefined;
  if (exported !== undefined && !str(exported, 1)) return undefined;
  if (isolation !== undefined) {
    if (isolation !== "trusted" && isolation !== "isolated") return undefined;
    if (isolation === "isolated" && (module === undefined || logic !== undefined)) return undefined;
  }
  if (hogThresholdMs !== undefined && !posNum(hogThresholdMs)) return undefined;
  if (maxSteps !== undefined && !posInt(maxSteps)) return undefined;
  // The schema's cross-field rules: when one would object, zod words the issue.
  if (kind === "code" && logic === undefined && module === undefined) return undefined;
  if (kind === "llm" && model === undefined) return undefined;
  if (ephemeral && durable === true) return undefined;
  // Built in the schema's field order, as zod builds its output.
  let s: Record<string, unknown>;
  if (description === undefined && instructions === undefined && goal === undefined && b === undefined && durable === undefined) {
    // `spare` is a slot in the object for the one field the kernel adds, its parsed-spec brand
    // (kernel/spawner.ts): V8 takes back the last field deleted and gives its slot to the next.
    if (model !== undefined) {
      s = logic === undefined
        ? { name, kind, version, model, tools, capabilities, restart, priority, weight, tier, tenant, ephemeral, spare: 0 }
        : { name, kind, version, model, tools, capabilities, restart, priority, weight, tier, tenant, ephemeral, logic, spare: 0 };
    } else if (logic !== undefined) s = { name, kind, version, tools, capabilities, restart, priority, weight, tier, tenant, ephemeral, logic, spare: 0 };
    else s = { name, kind, version, tools, capabilities, restart, priority, weight, tier, tenant, ephemeral, spare: 0 };
    delete s["spare"];
  } else {
    s = { name, kind, version };
    if (description !== undefined) s["description"] = description;
    if (model !== undefined) s["model"] = model;
    if (instructions !== undefined) s["instructions"] = instructions;
    if (goal !== undefined) s["goal"] = goal;
    s["tools"] = tools;
    s["capabilities"] = capabilities;
    s["restart"] = restart;
    s["priority"] = priority;
    s["weight"] = weight;
    if (b !== undefined) s["budget"] = b;
    s["tier"] = tier;
    s["tenant"] = tenant;
    s["ephemeral"] = ephemeral;
    if (durable !== undefined) s["durable"] = durable;
    if (logic !== undefined) s["logic"] = logic;
  }
  if (module !== undefined) s["module"] = module;
  if (exported !== undefined) s["export"] = exported;
  if (isolation !== undefined) s["isolation"] = isolation;
  if (args !== undefined) s["args"] = args;
  if (hogThresholdMs !== undefined) s["hogThresholdMs"] = hogThresholdMs;
  if (maxSteps !== undefined) s["maxSteps"] = maxSteps;
  return s;
}
