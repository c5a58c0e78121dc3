/**
 * The cluster's tables in PostgreSQL and the fence (docs/adr/0028). Versioned: `cluster_meta` holds
 * the schema version; migrations run in one transaction under an advisory lock, so nodes starting
 * together migrate once. Every table is keyed by the cluster name: several clusters may share a
 * database.
 *
 * The fence lives here, in the database, not in application code: a BEFORE INSERT trigger on
 * cluster_journal reads the agent's lease row FOR SHARE and refuses (SQLSTATE AIOSF) a row whose
 * epoch is not the lease's current epoch. The share lock makes a takeover (an UPDATE of that row)
 * wait for an in-flight write, and makes a write that follows an uncommitted takeover wait for it and
 * then see the newer epoch (READ COMMITTED re-reads a locked row). The journal is append-only:
 * UPDATE is refused outright, DELETE unless the row lies below the tree's snapshot (V6), so no stale
 * writer can rewrite history either.
 */
import { AiosError } from "../core/index.js";
import { inTransaction, int, naming, type SqlClient, type SqlPool } from "./sql.js";

/** Arbitrary but fixed key for pg_advisory_xact_lock while migrating ("AIOSCLUS" in ASCII, truncated). */
const MIGRATE_LOCK = 0x4149_4f53_434c;

/** The fence on a journal row (V1, kept by V5): its epoch must be the lease's, read FOR SHARE. */
const FENCE_INSERT = `  SELECT epoch INTO cur FROM cluster_leases WHERE cluster = NEW.cluster AND agent = NEW.agent FOR SHARE;
  IF cur IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'AIOSF', MESSAGE = format('no lease exists for agent %s', NEW.agent), DETAIL = '';
  END IF;
  IF NEW.epoch <> cur THEN
    RAISE EXCEPTION USING ERRCODE = 'AIOSF',
      MESSAGE = format('fenced: write for agent %s at epoch %s, lease is at epoch %s', NEW.agent, NEW.epoch, cur),
      DETAIL = cur::text;
  END IF;
  RETURN NEW;`;

const V1 = `
CREATE TABLE IF NOT EXISTS cluster_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS cluster_nodes (
  cluster      TEXT    NOT NULL,
  node         TEXT    NOT NULL,
  addr         TEXT    NOT NULL DEFAULT '',
  started_at   BIGINT  NOT NULL,
  heartbeat_at BIGINT  NOT NULL,
  expires_at   BIGINT  NOT NULL,
  load         INTEGER NOT NULL DEFAULT 0,
  capacity     INTEGER NOT NULL CHECK (capacity > 0),
  tags         TEXT[]  NOT NULL DEFAULT '{}',
  state        TEXT    NOT NULL CHECK (state IN ('up', 'left')),
  PRIMARY KEY (cluster, node)
);

CREATE TABLE IF NOT EXISTS cluster_leases (
  cluster    TEXT   NOT NULL,
  agent      TEXT   NOT NULL,
  owner      TEXT,
  epoch      BIGINT NOT NULL CHECK (epoch >= 0),
  expires_at BIGINT NOT NULL,
  hint_node  TEXT,
  hint_tags  TEXT[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (cluster, agent)
);
CREATE INDEX IF NOT EXISTS cluster_leases_owner ON cluster_leases (cluster, owner);
CREATE INDEX IF NOT EXISTS cluster_leases_expiry ON cluster_leases (cluster, expires_at);

CREATE TABLE IF NOT EXISTS cluster_journal (
  cluster TEXT   NOT NULL,
  agent   TEXT   NOT NULL,
  seq     BIGINT NOT NULL CHECK (seq >= 1),
  epoch   BIGINT NOT NULL,
  kind    TEXT   NOT NULL,
  body    TEXT   NOT NULL,
  PRIMARY KEY (cluster, agent, seq)
);

CREATE OR REPLACE FUNCTION cluster_fence() RETURNS trigger LANGUAGE plpgsql AS $fence$
DECLARE
  cur BIGINT;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    RAISE EXCEPTION USING ERRCODE = 'AIOSF', MESSAGE = 'cluster_journal is append-only', DETAIL = '';
  END IF;
${FENCE_INSERT}
END
$fence$;

DROP TRIGGER IF EXISTS cluster_journal_fence ON cluster_journal;
CREATE TRIGGER cluster_journal_fence BEFORE INSERT OR UPDATE OR DELETE ON cluster_journal
  FOR EACH ROW EXECUTE FUNCTION cluster_fence();
`;

/**
 * V2 (docs/adr/0036): the agent directory (which tree's stream holds an agent, written with its spawn
 * record) and the cross-node mail inbox. A sender stores a letter for an agent on another node in
 * cluster_mail (its acknowledgement is that commit); the owner moves it into the agent's fenced
 * journal and marks it taken in the same statement. Rows are kept (taken) so the de-duplication key
 * stays unique: a replayed or retried send is stored once.
 */
const V2 = `
CREATE TABLE IF NOT EXISTS cluster_agents (
  cluster TEXT NOT NULL,
  agent   TEXT NOT NULL,
  tree    TEXT NOT NULL,
  PRIMARY KEY (cluster, agent)
);

CREATE TABLE IF NOT EXISTS cluster_mail (
  cluster TEXT      NOT NULL,
  n       BIGSERIAL NOT NULL,
  agent   TEXT      NOT NULL,
  dedup   TEXT      NOT NULL,
  body    TEXT      NOT NULL,
  taken   BOOLEAN   NOT NULL DEFAULT false,
  PRIMARY KEY (cluster, n)
);
CREATE UNIQUE INDEX IF NOT EXISTS cluster_mail_dedup ON cluster_mail (cluster, agent, dedup);
CREATE INDEX IF NOT EXISTS cluster_mail_open ON cluster_mail (cluster, agent) WHERE NOT taken;
`;

/**
 * V3 (docs/adr/0038): cross-node letters are sealed by the node that stored them (origin, the public
 * keys it vouches for, an HMAC under the cluster secret), and a letter the receiving node refuses
 * (seal, signature, receive schema) is marked taken with the reason, never moved into a journal.
 */
const V3 = `
ALTER TABLE cluster_mail ADD COLUMN IF NOT EXISTS origin  TEXT;
ALTER TABLE cluster_mail ADD COLUMN IF NOT EXISTS keys    TEXT NOT NULL DEFAULT '[]';
ALTER TABLE cluster_mail ADD COLUMN IF NOT EXISTS mac     TEXT;
ALTER TABLE cluster_mail ADD COLUMN IF NOT EXISTS refused TEXT;
`;

/**
 * V4 (docs/adr/0040): replies to requests that crossed nodes. The node that handled a request stores
 * the reply (sealed) for the caller's node under the request's id; the caller's node takes it (DELETE
 * ... RETURNING) when woken or at its next beat. The key makes a second reply to one call (the request
 * handled again after a takeover) a no-op while the first waits.
 */
const V4 = `
CREATE TABLE IF NOT EXISTS cluster_replies (
  cluster TEXT NOT NULL,
  node    TEXT NOT NULL,
  call    TEXT NOT NULL,
  origin  TEXT NOT NULL,
  body    TEXT NOT NULL,
  mac     TEXT,
  PRIMARY KEY (cluster, node, call)
);
`;

/**
 * V5 (docs/adr/0041): names and topics across nodes. The agent directory gains each agent's attested
 * name and whether it has ended (both written in the statement that journals its spawn or its
 * transition), so a name resolves to the live agent bearing it wherever it runs; cluster_topics holds
 * push subscriptions (a pattern, its regular expression) so a publisher on any node finds subscribers
 * on the others. The receiving node still checks its own subscription table before it moves a copy.
 */
const V5 = `
ALTER TABLE cluster_agents ADD COLUMN IF NOT EXISTS name  TEXT;
ALTER TABLE cluster_agents ADD COLUMN IF NOT EXISTS ended BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS cluster_agents_name ON cluster_agents (cluster, name) WHERE NOT ended;

CREATE TABLE IF NOT EXISTS cluster_topics (
  cluster TEXT NOT NULL,
  agent   TEXT NOT NULL,
  pattern TEXT NOT NULL,
  re      TEXT NOT NULL,
  node    TEXT NOT NULL,
  PRIMARY KEY (cluster, agent, pattern)
);
`;

/**
 * V6 (docs/adr/0045): compaction. A tree's journal may be folded into a snapshot written at its end
 * (a `snapshot` row at seq `base`, then the fold's records); cluster_journal_base records `base`, and
 * rows below it may then be deleted, nothing else. The base row is fenced like the journal (its epoch
 * must be the lease's) and only moves forward, onto a snapshot row written under that same epoch: a
 * stale owner can neither write the snapshot nor move the base, so it cannot drop history.
 * cluster_mail and cluster_replies carry when they were stored (`at`, the writer's clock): handled
 * mail keeps its key (the de-duplication) without its body until a horizon; replies expire.
 */
const V6 = `
CREATE TABLE IF NOT EXISTS cluster_journal_base (
  cluster TEXT   NOT NULL,
  agent   TEXT   NOT NULL,
  base    BIGINT NOT NULL CHECK (base >= 1),
  epoch   BIGINT NOT NULL,
  PRIMARY KEY (cluster, agent)
);

CREATE OR REPLACE FUNCTION cluster_fence() RETURNS trigger LANGUAGE plpgsql AS $fence$
DECLARE
  cur BIGINT;
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.seq < coalesce((SELECT base FROM cluster_journal_base WHERE cluster = OLD.cluster AND agent = OLD.agent), 1) THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'AIOSF', MESSAGE = format('cluster_journal is append-only: row %s of %s is not below a snapshot', OLD.seq, OLD.agent), DETAIL = '';
  END IF;
  IF TG_OP <> 'INSERT' THEN
    RAISE EXCEPTION USING ERRCODE = 'AIOSF', MESSAGE = 'cluster_journal is append-only', DETAIL = '';
  END IF;
${FENCE_INSERT}
END
$fence$;

CREATE OR REPLACE FUNCTION cluster_base_fence() RETURNS trigger LANGUAGE plpgsql AS $fence$
DECLARE
  cur BIGINT;
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION USING ERRCODE = 'AIOSF', MESSAGE = 'cluster_journal_base rows are never deleted', DETAIL = '';
  END IF;
  SELECT epoch INTO cur FROM cluster_leases WHERE cluster = NEW.cluster AND agent = NEW.agent FOR SHARE;
  IF cur IS NULL OR NEW.epoch <> cur THEN
    RAISE EXCEPTION USING ERRCODE = 'AIOSF',
      MESSAGE = format('fenced: compaction of agent %s at epoch %s, lease is at epoch %s', NEW.agent, NEW.epoch, coalesce(cur::text, 'none')),
      DETAIL = coalesce(cur::text, '');
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.base <= OLD.base THEN
    RAISE EXCEPTION USING ERRCODE = 'AIOSF', MESSAGE = format('the snapshot of %s moves forward only (%s to %s)', NEW.agent, OLD.base, NEW.base), DETAIL = '';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM cluster_journal WHERE cluster = NEW.cluster AND agent = NEW.agent AND seq = NEW.base AND kind = 'snapshot' AND epoch = NEW.epoch) THEN
    RAISE EXCEPTION USING ERRCODE = 'AIOSF', MESSAGE = format('no snapshot of %s at seq %s under epoch %s', NEW.agent, NEW.base, NEW.epoch), DETAIL = '';
  END IF;
  RETURN NEW;
END
$fence$;

DROP TRIGGER IF EXISTS cluster_journal_base_fence ON cluster_journal_base;
CREATE TRIGGER cluster_journal_base_fence BEFORE INSERT OR UPDATE OR DELETE ON cluster_journal_base
  FOR EACH ROW EXECUTE FUNCTION cluster_base_fence();

ALTER TABLE cluster_mail ADD COLUMN IF NOT EXISTS at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS cluster_mail_bodies ON cluster_mail (cluster, n) WHERE taken AND body <> '';
CREATE INDEX IF NOT EXISTS cluster_mail_keys_at ON cluster_mail (cluster, at) WHERE taken;
ALTER TABLE cluster_replies ADD COLUMN IF NOT EXISTS at BIGINT NOT NULL DEFAULT 0;
`;

/**
 * V7 (docs/adr/0047): push subscriptions survive a takeover. A cluster_topics row carries the seal of
 * the node that recorded it (after the door allowed the subscription); the node that adopts the agent's
 * tree restores only sealed rows into ipc/, so a row written by hand still routes nothing.
 */
const V7 = `
ALTER TABLE cluster_topics ADD COLUMN IF NOT EXISTS mac TEXT;
`;

/**
 * V8 (docs/adr/0048): supervision across nodes. A supervisor's child tree is linked to its supervisor
 * in the directory (supervisor, the child spec's slot, and `link`, which orders the children started
 * for one slot: the newest is the current one, an older one is let go). A directory row gains the
 * terminal status it ended with; `told_*` say what the supervisor's node has already applied. A lease
 * taken over after it lapsed records the epoch and node that died (`down_*`): a death is a fact in
 * PostgreSQL, read by the supervisor's node at its beat.
 */
const V8 = `
ALTER TABLE cluster_agents ADD COLUMN IF NOT EXISTS supervisor TEXT;
ALTER TABLE cluster_agents ADD COLUMN IF NOT EXISTS slot       INTEGER;
ALTER TABLE cluster_agents ADD COLUMN IF NOT EXISTS link       BIGINT;
ALTER TABLE cluster_agents ADD COLUMN IF NOT EXISTS status     TEXT;
ALTER TABLE cluster_agents ADD COLUMN IF NOT EXISTS told_end   BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE cluster_agents ADD COLUMN IF NOT EXISTS told_epoch BIGINT  NOT NULL DEFAULT 0;
CREATE SEQUENCE IF NOT EXISTS cluster_agents_link;
CREATE INDEX IF NOT EXISTS cluster_agents_supervised ON cluster_agents (cluster, supervisor, slot, link) WHERE supervisor IS NOT NULL;
ALTER TABLE cluster_leases ADD COLUMN IF NOT EXISTS down_epoch BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cluster_leases ADD COLUMN IF NOT EXISTS down_node  TEXT;
`;
/**
 * V9 (docs/adr/0055): intents across nodes. The skills an agent registered for intent routing, one row
 * per agent (its skills as JSON), sealed by the node that recorded them after its door allowed the
 * registration; a router on any node weighs the skills of the cluster's live agents.
 */
const V9 = `
CREATE TABLE IF NOT EXISTS cluster_skills (
  cluster TEXT NOT NULL,
  agent   TEXT NOT NULL,
  skills  TEXT NOT NULL,
  node    TEXT NOT NULL,
  mac     TEXT,
  PRIMARY KEY (cluster, agent)
);
`;
/**
 * V10 (docs/adr/0068): pull subscriptions across nodes. A cluster_topics row names its mode (push: the
 * copy goes to the agent's mailbox; pull: to its SemanticRecv inbox); an agent may hold both for one
 * pattern, so the mode joins the key. Existing rows are push rows.
 */
const V10 = `
ALTER TABLE cluster_topics ADD COLUMN IF NOT EXISTS mode TEXT NOT NULL DEFAULT 'push' CHECK (mode IN ('push', 'pull'));
ALTER TABLE cluster_topics DROP CONSTRAINT IF EXISTS cluster_topics_pkey;
ALTER TABLE cluster_topics ADD PRIMARY KEY (cluster, agent, pattern, mode);
`;
export const CLUSTER_MIGRATIONS: readonly string[] = [V1, V2, V3, V4, V5, V6, V7, V8, V9, V10];
export const CLUSTER_SCHEMA = CLUSTER_MIGRATIONS.length;

async function currentVersion(c: SqlClient): Promise<number> {
  const t = await c.query("SELECT to_regclass('cluster_meta') IS NOT NULL AS present");
  if (t.rows[0]?.["present"] !== true) return 0;
  const r = await c.query("SELECT value FROM cluster_meta WHERE key = 'schema'");
  const row = r.rows[0];
  return row === undefined ? 0 : int(row, "value");
}

/** Brings the cluster tables to CLUSTER_SCHEMA; refuses a database written by a newer schema. */
export async function migrateCluster(pool: SqlPool & { readonly schema: string }): Promise<number> {
  return naming("migrating the cluster tables", {}, () =>
    inTransaction(pool, async (c) => {
      await c.query("SELECT pg_advisory_xact_lock($1)", [MIGRATE_LOCK]);
      // The connection's search_path names this schema (pg-pool.ts); it resolves once created.
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${pool.schema}`);
      const from = await currentVersion(c);
      if (from > CLUSTER_SCHEMA) {
        throw new AiosError("E_SCHEMA_VERSION", `the cluster tables are at schema ${from}, newer than this build's ${CLUSTER_SCHEMA}`, { details: { path: "cluster_meta.schema", found: from, supported: CLUSTER_SCHEMA } });
      }
      for (let v = from; v < CLUSTER_SCHEMA; v++) await c.query(CLUSTER_MIGRATIONS[v] ?? "");
      await c.query("INSERT INTO cluster_meta (key, value) VALUES ('schema', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", [String(CLUSTER_SCHEMA)]);
      return CLUSTER_SCHEMA;
    }),
  );
}
