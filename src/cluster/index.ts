/**
 * cluster/: nodes of one AIOS cluster sharing PostgreSQL (durable state, the acknowledgement
 * boundary) and NATS JetStream (transport and wake-up only). Owns membership with heartbeats, leases
 * with epochs (single activation), the fence that PostgreSQL enforces on every journal write, and
 * placement. Decisions: docs/adr/0028.
 */
export { ClusterConfigSchema, parseClusterConfig, defaultNodeName, checkName, type ClusterConfig, type ClusterConfigInput } from "./config.js";
export { WakeBus, WakeSchema, streamName, type Wake, type WakeBusOptions } from "./nats-wake.js";
