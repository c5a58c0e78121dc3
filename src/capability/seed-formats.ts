/**
 * Capability strings in the formats the project's seeds use, mapped onto the one grammar
 * (grammar.ts: `resource#action[,action]{key=value,...}`), so a spec written in them grants what it
 * says instead of silently nothing. A string with `#` is already in the grammar and is returned as
 * given. The mapping (README "Capability formats" has the table):
 *
 *   file:/home/user/data/*:read                 -> file:/home/user/data/*#read
 *   capability://file/Users/data/*?action=read  -> file:/Users/data/*#read
 *   capability://net/api.example.com:443?action=fetch&rate=10/min -> net:api.example.com:443#fetch{rate=10/min}
 *   shell:*:execute{timeout:30s}                -> shell#exec{timeout=30s}
 *   shell:ls:execute                            -> shell#exec{allow=[ls]}
 *   agent:spawn{max:5}                          -> agent#spawn{max=5}
 *
 * It never widens: globs are kept as written (`*` is one path segment, `**` any depth), every
 * constraint is carried over, and only the shell's verbs are renamed (execute/run -> exec, the one
 * action the shell tool checks). A string it cannot map is returned unchanged for the parser to
 * refuse by name.
 */

/** Verbs a seed uses for the shell, by the action the shell tool checks. */
const SHELL_VERBS: Readonly<Record<string, string>> = { execute: "exec", exec: "exec", run: "exec" };

/** `{timeout:30s, max: 5}` -> `{timeout=30s,max=5}` (keys and values trimmed, quotes dropped). */
function constraintBody(body: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  const flush = (): void => {
    const part = cur.trim();
    cur = "";
    if (part === "") return;
    const at = part.search(/[:=]/);
    if (at <= 0) {
      out.push(part);
      return;
    }
    const key = part.slice(0, at).trim().replace(/^["']|["']$/g, "");
    const value = part.slice(at + 1).trim().replace(/^["']|["']$/g, "");
    out.push(`${key}=${value}`);
  };
  for (const ch of body) {
    if (ch === "[") depth++;
    if (ch === "]") depth--;
    if (ch === "," && depth === 0) flush();
    else cur += ch;
  }
  flush();
  return out;
}

function assemble(resource: string, actions: string, constraints: readonly string[]): string | undefined {
  if (resource === "shell" || resource.startsWith("shell:")) {
    const command = resource === "shell" ? "*" : resource.slice("shell:".length);
    const verbs = actions.split(",").map((a) => SHELL_VERBS[a.trim()] ?? a.trim());
    const named = command !== "*" && command !== "";
    // A command in the resource and an allow list of its own: which one was meant is not clear.
    if (named && constraints.some((c) => c.startsWith("allow="))) return undefined;
    const extra = named ? [`allow=[${command}]`] : [];
    const all = [...extra, ...constraints];
    return `shell#${[...new Set(verbs)].join(",")}${all.length === 0 ? "" : `{${all.join(",")}}`}`;
  }
  return `${resource}#${actions}${constraints.length === 0 ? "" : `{${constraints.join(",")}}`}`;
}

/** `capability://<type>/<rest>?action=a,b&key=value` */
function fromUri(source: string): string | undefined {
  const m = /^capability:\/\/([A-Za-z][A-Za-z0-9_-]*)(\/[^?]*)?(?:\?(.*))?$/.exec(source);
  if (m === null) return undefined;
  const [, type = "", rest = "", query = ""] = m;
  const params = new URLSearchParams(query);
  const actions = params.getAll("action").join(",");
  if (actions === "") return undefined;
  const constraints: string[] = [];
  for (const [k, v] of params) if (k !== "action") constraints.push(`${k}=${v}`);
  // A file path stays absolute; any other type's rest is its name (net host:port, tool name, ...).
  const resource = rest === "" || rest === "/" ? type : type === "file" ? `file:${decodeURI(rest)}` : `${type}:${decodeURI(rest.slice(1))}`;
  return assemble(resource, actions, constraints);
}

/** `<resource>:<actions>[{k:v,...}]`, the action list being the part after the last colon. */
function fromColons(source: string): string | undefined {
  const brace = source.indexOf("{");
  const head = brace < 0 ? source : source.slice(0, brace);
  const body = brace < 0 ? undefined : /^\{(.*)\}$/s.exec(source.slice(brace))?.[1];
  if (brace >= 0 && body === undefined) return undefined;
  const at = head.lastIndexOf(":");
  if (at <= 0) return undefined;
  const resource = head.slice(0, at);
  const actions = head.slice(at + 1);
  if (!/^[A-Za-z*][A-Za-z0-9_*-]*(,[A-Za-z*][A-Za-z0-9_*-]*)*$/.test(actions)) return undefined;
  return assemble(resource, actions, body === undefined ? [] : constraintBody(body));
}

/** The grammar's form of a capability string written in a seed format (or the string itself). */
export function toGrammar(source: string): string {
  const s = source.trim();
  if (s.includes("#")) return s;
  return (s.startsWith("capability://") ? fromUri(s) : fromColons(s)) ?? s;
}
