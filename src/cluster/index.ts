/**
 * cluster/: nodes of one AIOS cluster sharing PostgreSQL (durable state, the acknowledgement
 * boundary) and NATS JetStream (transport and wake-up only). Owns membership with heartbeats, leases
 * with epochs (single activation), the fence that PostgreSQL enforces on every journal write, and
 * placement and rebalancing. Decisions: docs/adr/0028, 0050.
 */
export { ClusterConfigSchema, parseClusterConfig, defaultNodeName, checkName, type ClusterConfig, type ClusterConfigInput } from "./config.js";
export { FENCED_SQLSTATE, isFenced, toClusterError } from "./errors.js";
export { FencedJournal, type AppendExtra, type DirectoryEntry, type JournalEntry, type NewEntry } from "./fenced-journal.js";
export { ClusterNode, type ClusterNodeOptions, type BeatReport, type Placed, type LossReason } from "./node.js";
export { NodeTable, type NodeInfo, type JoinInfo } from "./membership.js";
export { place, eligible, type Candidate } from "./placement.js";
export { plan, type Movable, type Move, type RebalanceOptions } from "./rebalance.js";
export { LeaseTable, type Lease, type LeaseRow, type PlacementHints } from "./leases.js";
export { WakeBus, WakeSchema, streamName, type Wake, type WakeBusOptions } from "./nats-wake.js";
export { openClusterPool, parsePostgresUrl, CLUSTER_PG_SCHEMA, type ClusterPool, type ClusterPoolOptions } from "./pg-pool.js";
export { CLUSTER_MIGRATIONS, CLUSTER_SCHEMA, migrateCluster } from "./schema.js";
export { inTransaction, type SqlClient, type SqlConn, type SqlPool, type SqlResult, type Row } from "./sql.js";
export { ClusterJournal, hintsOf, type ClusterJournalHooks } from "./cluster-journal.js";
export { type Refusal } from "./mail-intake.js";
export { ParkedMail, RETRY_FIRST_MS, RETRY_MAX_MS, type ParkedMailOptions } from "./parked-mail.js";
export { MailSeal, MIN_SECRET_CHARS, type SealedFields, type ReplyFields } from "./seal.js";
export { ReplyBox, type Outcome, type TakenReply } from "./replies.js";
export { clusterSubsystem, type ClusterSubsystemOptions, type ClusterService, type CompactReport } from "./subsystem.js";
export { Mailroom, dedupKey, type WaitingLetter } from "./mailroom.js";
export { Directory, patternRegex } from "./directory.js";
