/**
 * Names and topics across nodes (docs/adr/0041), in PostgreSQL beside the agent directory.
 *
 * Names: cluster_agents carries each agent's attested name and whether it ended, written in the
 * statement that journals its spawn or transition (fenced-journal.ts), so `resolve` answers from
 * committed state only: the one live agent bearing a name, E_NO_AGENT for none, E_INVALID_ARG naming
 * the candidates when several do (as `os.send` does on one node). Names are attested (ADR 0024): only
 * the operator creates a name without its creator's prefix, so a name cannot be taken over by an
 * agent's child; the sender's capability is checked on the name it gave, at its own node's door.
 *
 * Topics: an agent's subscription (push or pull, docs/adr/0068) is recorded here (by the node it subscribed on, after its door
 * checked `topic:<pattern>#subscribe`) with the pattern as a regular expression, so a publisher on any
 * node finds the subscribers by one indexed scan of the cluster's rows. The directory only says where
 * copies go: the receiving node moves a copy only for an agent subscribed *there* (ipc's gate), so a
 * row written into cluster_topics by anyone else delivers nothing. Each row carries the recording
 * node's seal: a node that adopts the agent's tree restores its sealed rows into ipc/ (`held`,
 * docs/adr/0047), never an unsealed one.
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import type { SkillEntry, SubscriptionMode } from "../abi/index.js";
import type { MailSeal } from "./seal.js";
import { query, text, textOrNull, type SqlPool } from "./sql.js";

/** A row of cluster_topics for an agent being adopted: its pattern and mode, and whether its seal verified. */
export interface HeldSubscription {
  readonly agent: string;
  readonly pattern: string;
  readonly mode: SubscriptionMode;
  readonly sealed: boolean;
}

const SkillRows = z.array(z.strictObject({ name: z.string().min(1).max(256), description: z.string().max(4096), input: z.string().min(1).max(256).optional(), output: z.string().min(1).max(256).optional() })).max(256);

/** A sealed row's skills, read back (a node wrote them; still checked, never trusted blindly). */
function parseSkills(body: string): SkillEntry[] | undefined {
  try {
    const r = SkillRows.safeParse(JSON.parse(body));
    return r.success ? r.data.map((s) => ({ name: s.name, description: s.description, ...(s.input === undefined ? {} : { input: s.input }), ...(s.output === undefined ? {} : { output: s.output }) })) : undefined;
  } catch {
    return undefined;
  }
}

/** A topic pattern (dot-separated tokens, `*` one token, `>` the rest) as an anchored POSIX regex. */
export function patternRegex(pattern: string): string {
  const toks = pattern.split(".").map((t) => (t === "*" ? "[^.]+" : t === ">" ? ".+" : t.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&")));
  return `^${toks.join("\\.")}$`;
}

/** A skills row as verified and parsed at a read: reused while its body and seal stay the same. */
interface VerifiedSkills {
  readonly body: string;
  readonly mac: string | null;
  readonly skills: SkillEntry[];
}

export class Directory {
  /**
   * Skills rows verified and parsed by the last liveSkills, by agent: a row read again with the same
   * body and seal is not verified and parsed again (an intent reads every live agent's row).
   */
  private verified = new Map<string, VerifiedSkills>();

  constructor(
    private readonly pool: SqlPool,
    readonly cluster: string,
    private readonly node: string,
    private readonly seal: MailSeal,
  ) {}

  /** The id of the one live agent named `name` anywhere in the cluster. */
  async resolve(name: string): Promise<string> {
    const r = await query(this.pool, "SELECT agent FROM cluster_agents WHERE cluster = $1 AND name = $2 AND NOT ended ORDER BY agent LIMIT 9", [this.cluster, name], `resolving the name ${name}`, { agent: name });
    const ids = r.rows.map((row) => text(row, "agent"));
    const [one] = ids;
    if (one === undefined) throw new AiosError("E_NO_AGENT", `no agent ${name} in cluster ${this.cluster} (no live agent has that id or name)`, { details: { agent: name } });
    if (ids.length > 1) {
      throw new AiosError("E_INVALID_ARG", `the name "${name}" is borne by ${ids.length === 9 ? "9 or more" : ids.length} live agents of cluster ${this.cluster} (${ids.join(", ")}); give an id`, { details: { path: "to", candidates: ids } });
    }
    return one;
  }

  /** Records (on) `agent`'s subscription to `pattern` in `mode`, or removes (off) every mode of it. */
  async subscribe(agent: string, pattern: string, on: boolean, mode: SubscriptionMode = "push"): Promise<void> {
    const what = `${on ? "recording" : "removing"} the subscription of ${agent} to ${pattern}`;
    if (on) {
      await query(
        this.pool,
        "INSERT INTO cluster_topics (cluster, agent, pattern, mode, re, node, mac) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (cluster, agent, pattern, mode) DO UPDATE SET node = EXCLUDED.node, mac = EXCLUDED.mac",
        [this.cluster, agent, pattern, mode, patternRegex(pattern), this.node, this.seal.sealTopic({ cluster: this.cluster, agent, pattern, mode })],
        what,
        { agent },
      );
    } else {
      await query(this.pool, "DELETE FROM cluster_topics WHERE cluster = $1 AND agent = $2 AND pattern = $3", [this.cluster, agent, pattern], what, { agent });
    }
  }

  /** Live agents anywhere in the cluster with a subscription (either mode) matching `topic`, each once. */
  async subscribers(topic: string): Promise<string[]> {
    const r = await query(
      this.pool,
      `SELECT DISTINCT t.agent FROM cluster_topics t JOIN cluster_agents a ON a.cluster = t.cluster AND a.agent = t.agent
        WHERE t.cluster = $1 AND NOT a.ended AND $2 ~ t.re ORDER BY t.agent`,
      [this.cluster, topic],
      `finding the subscribers of ${topic}`,
    );
    return r.rows.map((row) => text(row, "agent"));
  }

  /**
   * Records `agent`'s skills for intent routing (docs/adr/0055), sealed by this node after its door
   * allowed the registration; no skills removes the row.
   */
  async recordSkills(agent: string, skills: readonly SkillEntry[]): Promise<void> {
    const what = `recording the skills of ${agent}`;
    if (skills.length === 0) {
      await query(this.pool, "DELETE FROM cluster_skills WHERE cluster = $1 AND agent = $2", [this.cluster, agent], what, { agent });
      return;
    }
    const body = JSON.stringify(skills);
    await query(
      this.pool,
      "INSERT INTO cluster_skills (cluster, agent, skills, node, mac) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (cluster, agent) DO UPDATE SET skills = EXCLUDED.skills, node = EXCLUDED.node, mac = EXCLUDED.mac",
      [this.cluster, agent, body, this.node, this.seal.sealSkills({ cluster: this.cluster, agent, skills: body })],
      what,
      { agent },
    );
  }

  /**
   * The skills of the cluster's live agents, oldest agent id first. A row whose seal does not verify
   * (written by anyone but a node) or whose skills do not parse is left out and reported to `refused`,
   * every time it is read. A row unchanged since the last read (same body, same seal) is reused as it
   * was verified then.
   */
  async liveSkills(refused: (agent: string, why: string) => void): Promise<{ agent: string; skills: SkillEntry[] }[]> {
    const r = await query(
      this.pool,
      `SELECT s.agent, s.skills, s.mac FROM cluster_skills s JOIN cluster_agents a ON a.cluster = s.cluster AND a.agent = s.agent
        WHERE s.cluster = $1 AND NOT a.ended ORDER BY s.agent LIMIT 10000`,
      [this.cluster],
      "reading the cluster's intent skills",
    );
    const out: { agent: string; skills: SkillEntry[] }[] = [];
    const verified = new Map<string, VerifiedSkills>();
    for (const row of r.rows) {
      const agent = text(row, "agent");
      const body = text(row, "skills");
      const mac = textOrNull(row, "mac");
      const known = this.verified.get(agent);
      if (known !== undefined && known.body === body && known.mac === mac) {
        verified.set(agent, known);
        out.push({ agent, skills: known.skills });
        continue;
      }
      if (!this.seal.verifySkills({ cluster: this.cluster, agent, skills: body }, mac)) {
        refused(agent, "its seal does not verify");
        continue;
      }
      const skills = parseSkills(body);
      if (skills === undefined) refused(agent, "its skills do not parse");
      else {
        verified.set(agent, { body, mac, skills });
        out.push({ agent, skills });
      }
    }
    this.verified = verified;
    return out;
  }

  /**
   * The subscriptions recorded for `agents` (a tree this node adopts, docs/adr/0047), each with
   * whether its seal verifies: only sealed rows were recorded by a node after the door allowed them
   * (a pull row's seal names its mode: a push row turned pull by hand does not verify, nor the reverse).
   */
  async held(agents: readonly string[]): Promise<HeldSubscription[]> {
    if (agents.length === 0) return [];
    const r = await query(this.pool, "SELECT agent, pattern, mode, mac FROM cluster_topics WHERE cluster = $1 AND agent = ANY($2) ORDER BY agent, pattern, mode", [this.cluster, agents], `reading the subscriptions of ${agents.length} adopted agent(s)`);
    return r.rows.map((row) => {
      const agent = text(row, "agent");
      const pattern = text(row, "pattern");
      const mode: SubscriptionMode = text(row, "mode") === "pull" ? "pull" : "push";
      return { agent, pattern, mode, sealed: this.seal.verifyTopic({ cluster: this.cluster, agent, pattern, mode }, textOrNull(row, "mac")) };
    });
  }
}
