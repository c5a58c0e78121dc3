/**
 * The cluster secret's seal on cross-node letters (docs/adr/0038). PostgreSQL is shared state, not a
 * trusted one: anyone who can write cluster_mail could otherwise hand any agent any letter "from" any
 * sender. Every row a node stores carries an HMAC-SHA256, under the secret every node of the cluster is
 * given out of band (never stored in PostgreSQL), over the row's cluster, recipient, de-duplication key,
 * origin node, body and vouched keys; the receiving node moves only rows whose seal verifies. The seal
 * authenticates a node of the cluster, not an agent: agents' own signatures ride inside the envelope
 * and are checked by ipc/'s gate with the public keys the sealing node vouched for.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { AiosError } from "../core/index.js";

/** Shortest secret accepted: 32 characters (e.g. `openssl rand -hex 32` gives 64). */
export const MIN_SECRET_CHARS = 32;

export interface SealedFields {
  readonly cluster: string;
  readonly agent: string;
  readonly dedup: string;
  readonly origin: string;
  readonly body: string;
  readonly keys: string;
}

/** A reply's row: for `node`'s call `call`, stored by `origin`. */
export interface ReplyFields {
  readonly cluster: string;
  readonly node: string;
  readonly call: string;
  readonly origin: string;
  readonly body: string;
}

/** A subscription's row: `agent` subscribed to `pattern`, push (the default) or pull. */
export interface TopicFields {
  readonly cluster: string;
  readonly agent: string;
  readonly pattern: string;
  readonly mode?: "push" | "pull";
}

/** A push row's sealed fields are those before modes existed (its seal still verifies); a pull row's name the mode. */
const topicFields = (f: TopicFields): string[] => ["aios-topic-v1", f.cluster, f.agent, f.pattern, ...(f.mode === "pull" ? ["pull"] : [])];

export class MailSeal {
  private readonly key: Buffer;

  constructor(secret: string) {
    if (secret.length < MIN_SECRET_CHARS) {
      throw new AiosError("E_CONFIG", `cluster secret: at least ${MIN_SECRET_CHARS} characters (got ${secret.length}); every node of the cluster needs the same one`, { details: { path: "secret" } });
    }
    this.key = Buffer.from(secret, "utf8");
  }

  /** The seal of a letter's row: base64url HMAC-SHA256 over its fields, length-delimited (JSON array). */
  seal(f: SealedFields): string {
    return this.mac(["aios-mail-v1", f.cluster, f.agent, f.dedup, f.origin, f.body, f.keys]);
  }

  /** Whether `mac` is the seal of `f` (constant-time compare). */
  verify(f: SealedFields, mac: string | null): boolean {
    return this.check(["aios-mail-v1", f.cluster, f.agent, f.dedup, f.origin, f.body, f.keys], mac);
  }

  /** The seal of a reply's row (replies.ts): its own domain tag, so a letter's seal never fits one. */
  sealReply(f: ReplyFields): string {
    return this.mac(["aios-reply-v1", f.cluster, f.node, f.call, f.origin, f.body]);
  }

  verifyReply(f: ReplyFields, mac: string | null): boolean {
    return this.check(["aios-reply-v1", f.cluster, f.node, f.call, f.origin, f.body], mac);
  }

  /**
   * The seal of a push subscription's row in cluster_topics (docs/adr/0047): the node that recorded it
   * after the door allowed it; its own domain tag.
   */
  sealTopic(f: TopicFields): string {
    return this.mac(topicFields(f));
  }

  verifyTopic(f: TopicFields, mac: string | null): boolean {
    return this.check(topicFields(f), mac);
  }

  /** The seal of an agent's skills row in cluster_skills (docs/adr/0055); its own domain tag. */
  sealSkills(f: { readonly cluster: string; readonly agent: string; readonly skills: string }): string {
    return this.mac(["aios-skills-v1", f.cluster, f.agent, f.skills]);
  }

  verifySkills(f: { readonly cluster: string; readonly agent: string; readonly skills: string }, mac: string | null): boolean {
    return this.check(["aios-skills-v1", f.cluster, f.agent, f.skills], mac);
  }

  private mac(parts: readonly string[]): string {
    return createHmac("sha256", this.key).update(JSON.stringify(parts)).digest("base64url");
  }

  private check(parts: readonly string[], mac: string | null): boolean {
    if (mac === null) return false;
    const want = Buffer.from(this.mac(parts), "base64url");
    const got = Buffer.from(mac, "base64url");
    return got.length === want.length && timingSafeEqual(got, want);
  }
}
