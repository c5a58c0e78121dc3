/**
 * ipc/'s receive-side checks for mail that crossed cluster nodes (docs/adr/0038), as the kernel's
 * `remoteMail` stage. On the sending node `vouch` names the public key that signed an envelope (the
 * receiving node does not hold the sender's keys; the cluster seals the key with the letter, so only a
 * node of the cluster can vouch for one). On the receiving node `admit` runs, before the letter enters
 * the recipient's journal, exactly the checks a local copy passes at ipc's door (Ipc.refuse: a present
 * signature must verify and belong to the sender, a recipient requiring signatures gets none unsigned,
 * the receive schema must accept the payload); a refused copy is dead-lettered there.
 *
 * An envelope travels as the letter's payload under its id within its sender's as the key
 * (dedupKey, Ipc.admitRemote). A letter that is not an envelope is a plain kernel send (ctx.send):
 * as on one node, a recipient that requires signed messages refuses it (docs/adr/0083), and any other
 * takes it as trusted as there, because only a cluster node can seal a letter.
 *
 * A topic copy for a pull subscriber (docs/adr/0068) goes into its SemanticRecv inbox here, after the
 * same checks, and `admit` answers "taken": it never enters the mailbox or the journal (a pull inbox is
 * not journaled on one node either). An agent subscribed both ways gets the copy in both.
 *
 * `resubscribe` restores, on the node that adopted an agent's tree, the subscriptions it made where
 * it ran before (the cluster hands only sealed rows of its directory, docs/adr/0047), so copies routed
 * to it keep passing `admit` after a takeover or a migration.
 */
import type { RemoteMailGate, StoredMessage } from "../abi/index.js";
import { encodePayload, EnvelopeSchema, type Envelope } from "./envelope.js";
import { dedupKey } from "./dedup.js";
import type { Ipc } from "./ipc.js";

/** The envelope a letter carries, or undefined for a plain letter. */
function envelopeOf(m: StoredMessage): Envelope | undefined {
  if (m.key === undefined) return undefined;
  const r = EnvelopeSchema.safeParse(m.payload);
  return r.success && dedupKey(r.data.from, r.data.id) === m.key ? (r.data as Envelope) : undefined;
}

export function remoteMailGate(ipc: Ipc): RemoteMailGate {
  return {
    vouch: (m) => {
      const env = envelopeOf(m);
      return env === undefined ? [] : ipc.vouchFor(env);
    },
    admit: (m, keys) => {
      const env = envelopeOf(m);
      if (env === undefined) {
        // An agent's plain letter: refused, as on one node, by a recipient that requires signed messages.
        const a = ipc.port.agent(m.to);
        const why = a === undefined || m.from === undefined ? null : ipc.refusesPlain(a);
        return why === null ? null : { reason: "unsigned", detail: why };
      }
      // Sealed by a cluster node, so not forged; but a copy is only ever stored for its addressee: the
      // agent of that id or, addressed by name, the agent bearing it here (docs/adr/0041); a topic's
      // copy only for an agent subscribed to it here (the directory that routed it is not trusted).
      const push = env.topic === undefined || ipc.subscribed(m.to, env.topic, "push");
      const pull = env.topic !== undefined && ipc.subscribed(m.to, env.topic, "pull");
      const misrouted =
        env.to !== undefined && env.to !== m.to && env.to !== "*" && ipc.port.agent(m.to)?.name !== env.to
          ? `addressed to ${env.to}, stored for ${m.to}`
          : !push && !pull
            ? `published on ${env.topic}, stored for ${m.to}, which has no subscription to it on this node`
            : undefined;
      if (misrouted !== undefined) {
        ipc.deadLetter(env, "no_route", misrouted, m.to, false);
        return { reason: "no_route", detail: misrouted };
      }
      let json: string;
      try {
        json = encodePayload(env.payload, ipc.maxPayloadBytes);
      } catch (e) {
        const detail = e instanceof Error ? e.message : String(e);
        ipc.deadLetter(env, "too_large", detail, m.to, false);
        return { reason: "too_large", detail };
      }
      const no = ipc.screenRemote(env, json, m.to, keys);
      if (no !== null) return { reason: no[0], detail: no[1] };
      if (!pull) return null;
      // A full inbox dead-letters the pull copy (as on one node); a push subscription still gets its own.
      const dl = ipc.intoInbox(env, m.to);
      return push ? null : dl === null ? "taken" : { reason: dl.reason, detail: dl.detail };
    },
    // The subscriptions the agent made on the node it ran on before (docs/adr/0047, 0068).
    resubscribe: (agent, subs) => {
      for (const s of subs) ipc.subscribe(agent, s.pattern, s.mode);
    },
  };
}
