/**
 * The operator's memory, tools and secrets commands (issue #11 item 5), on the daemon or in
 * process (os-backend.ts):
 *   mem put <type> <content> | query [text] | get <id> | history <id> | link <from> <to> <type>
 *   tools ls | describe <name> | call <name> [args]
 *   secrets set <name> | ls | rm <name>
 * `--as <agent>` acts as that agent (its capabilities, its private scope) instead of as the operator.
 * A secret's value is read from stdin (a pipe) or a prompt that does not echo, never from argv:
 * arguments are visible to every user of the machine in `ps`.
 */
import { AiosError } from "../core/index.js";
import type { CliContext } from "./context.js";
import { cell, formatTable } from "./output.js";
import { withOs } from "./os-backend.js";
import { readSecretValue } from "./secret-input.js";

/** JSON when it parses, else the text itself. */
function jsonOrText(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}

const as = (o: { as?: string }): { as?: string } => (o.as === undefined ? {} : { as: o.as });

export interface MemPutOptions {
  readonly scope?: string;
  readonly tags?: string;
  readonly ttl?: number;
  readonly as?: string;
}

export function memPut(ctx: CliContext, type: string, content: string, o: MemPutOptions): Promise<number> {
  // Plain text for a type whose content is `{text}` (observation, reflection, ...): sent as {text}.
  const parsed = jsonOrText(content);
  const body = {
    type,
    content: typeof parsed === "string" ? { text: parsed } : parsed,
    ...(o.scope === undefined ? {} : { scope: o.scope }),
    ...(o.tags === undefined ? {} : { tags: o.tags.split(",").map((t) => t.trim()).filter((t) => t !== "") }),
    ...(o.ttl === undefined ? {} : { ttlMs: o.ttl }),
    ...as(o),
  };
  return withOs(ctx, async (os) => {
    const r = await os.memPut(body);
    ctx.out.result(r, () => ctx.out.line(`stored ${r.id} version ${r.version}`));
    return 0;
  });
}

export interface MemQueryOptions {
  readonly k?: number;
  readonly mode?: string;
  readonly as?: string;
}

export function memQuery(ctx: CliContext, text: string | undefined, o: MemQueryOptions): Promise<number> {
  const body = { ...(text === undefined ? {} : { text }), ...(o.k === undefined ? {} : { k: o.k }), ...(o.mode === undefined ? {} : { mode: o.mode }), ...as(o) };
  return withOs(ctx, async (os) => {
    const { hits } = await ctx.out.progress("searching memory", os.memQuery(body));
    ctx.out.result({ hits }, () =>
      ctx.out.line(hits.length === 0 ? "(no hits)" : formatTable(hits.map((h) => [h.id, h.score.toFixed(4), h.type, h.scope, h.tags.join(","), cell(h.content).slice(0, 80)]), ["ID", "SCORE", "TYPE", "SCOPE", "TAGS", "CONTENT"])),
    );
    return 0;
  });
}

export function memGet(ctx: CliContext, id: string, o: { as?: string }): Promise<number> {
  return withOs(ctx, async (os) => {
    const r = await os.memGet(id, o.as);
    ctx.out.result(r, () => {
      const rows: [string, unknown][] = [["id", r.id], ["type", r.type], ["scope", r.scope], ["namespace", r.namespace], ["owner", r.owner], ["version", r.version], ["tags", r.tags.join(", ")], ["updated", new Date(r.updatedAt).toISOString()], ["content", r.content]];
      ctx.out.line(rows.map(([k, v]) => `${k.padEnd(10)} ${cell(v)}`).join("\n"));
    });
    return 0;
  });
}

export function memHistory(ctx: CliContext, id: string, o: { as?: string }): Promise<number> {
  return withOs(ctx, async (os) => {
    const h = await os.memHistory(id, o.as);
    ctx.out.result(h, () => {
      ctx.out.line(formatTable(h.versions.map((v) => [v.hash.slice(0, 16), v.op, v.agent, new Date(v.ts).toISOString(), v.parents.map((p) => p.slice(0, 8)).join(","), cell(v.content).slice(0, 60)]), ["VERSION", "OP", "BY", "AT", "PARENTS", "CONTENT"]));
      ctx.out.line(`heads: ${h.heads.join(", ")}`);
    });
    return 0;
  });
}

export function memLink(ctx: CliContext, from: string, to: string, type: string, o: { as?: string }): Promise<number> {
  return withOs(ctx, async (os) => {
    const r = await os.memLink({ from, to, type, ...as(o) });
    ctx.out.result(r, () => ctx.out.line(r.created ? `linked ${from} -[${type}]-> ${to}` : `${from} -[${type}]-> ${to} was already there`));
    return 0;
  });
}

export function toolsList(ctx: CliContext): Promise<number> {
  return withOs(ctx, async (os) => {
    const { tools } = await os.toolsList();
    ctx.out.result({ tools }, () => ctx.out.line(formatTable(tools.map((t) => [t.name, t.sideEffect ? "yes" : "no", t.description]), ["NAME", "EFFECTS", "DESCRIPTION"])));
    return 0;
  });
}

export function toolDescribe(ctx: CliContext, name: string): Promise<number> {
  return withOs(ctx, async (os) => {
    const t = await os.toolDescribe(name);
    ctx.out.result(t, () => ctx.out.line(`${t.name}${t.sideEffect ? " (has side effects)" : ""}\n${t.description}\narguments: ${JSON.stringify(t.inputSchema, null, 2)}`));
    return 0;
  });
}

export function toolCall(ctx: CliContext, name: string, args: string | undefined, o: { as?: string; idempotencyKey?: string }): Promise<number> {
  const parsed = args === undefined ? {} : jsonOrText(args);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new AiosError("E_INVALID_ARG", `args: expected a JSON object like '{"path":"/data/a.txt"}', got ${JSON.stringify(args)}`, { details: { path: "args" } });
  }
  return withOs(ctx, async (os) => {
    const r = await ctx.out.progress(`calling ${name}`, os.toolCall(name, { args: parsed, ...as(o), ...(o.idempotencyKey === undefined ? {} : { idempotencyKey: o.idempotencyKey }) }));
    ctx.out.result(r, () => ctx.out.line(typeof r.result === "string" ? r.result : JSON.stringify(r.result, null, 2)));
    return 0;
  });
}

/** The daemon's rule for a secret name, checked before a value is asked for. */
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

export async function secretSet(ctx: CliContext, name: string): Promise<number> {
  if (!SECRET_NAME.test(name)) throw new AiosError("E_INVALID_ARG", `name: "${name}" is not a secret name (a letter or _ then up to 127 of A-Z a-z 0-9 _ . -)`, { details: { path: "name" } });
  const value = await readSecretValue(name);
  return withOs(ctx, async (os) => {
    const r = await os.secretSet(name, value);
    ctx.out.result(r, () => ctx.out.line(`secret ${r.name} set (tools use it as {{secret:${r.name}}}; it is never shown again)`));
    return 0;
  });
}

export function secretsList(ctx: CliContext): Promise<number> {
  return withOs(ctx, async (os) => {
    const r = await os.secretsList();
    ctx.out.result(r, () => ctx.out.line(r.names.length === 0 ? "(no secrets)" : r.names.join("\n")));
    return 0;
  });
}

export function secretDelete(ctx: CliContext, name: string): Promise<number> {
  return withOs(ctx, async (os) => {
    const r = await os.secretDelete(name);
    if (!r.deleted) throw new AiosError("E_NOT_FOUND", `no secret named ${name}`, { details: { path: "name" } });
    ctx.out.result(r, () => ctx.out.line(`deleted secret ${name}`));
    return 0;
  });
}
