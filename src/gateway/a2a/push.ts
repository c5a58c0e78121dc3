/**
 * Push notification delivery (spec 4.3.3): every status or artifact event of a task is POSTed, as a
 * StreamResponse, to each webhook configured for it, in event order per task. Delivery is the
 * http.fetch tool called through the door as the config's owner (the principal that created it,
 * with the capabilities it had then): so the SSRF guard applies (`net:<host>:<port>#fetch`, and
 * `net-class:loopback#connect` / `private` for such addresses, DNS pinned, redirects re-checked),
 * and each delivery is audited like any other effect. The config's authentication becomes the
 * Authorization header and its token `X-A2A-Notification-Token`. A refused or failed delivery
 * is tried `attempts` times in all with doubling delays on the injected clock, then given up and reported as an event.
 */
import { toAiosError, type Clock, type EventBus } from "../../core/index.js";
import type { DispatchCaller } from "../../kernel/index.js";
import type { PushRow } from "./store.js";
import type { StreamResponse } from "./wire.js";

declare module "../../core/index.js" {
  interface EventDataMap {
    /** A push notification could not be delivered after every attempt. */
    "a2a.push.failed": { taskId: string; configId: string; url: string; error: string };
  }
}

export interface PushPorts {
  invoke(caller: DispatchCaller, syscall: string, args: unknown): Promise<unknown>;
  configs(taskId: string): readonly PushRow[];
  callerOf(owner: string, capabilities: readonly string[]): DispatchCaller;
  readonly clock: Clock;
  readonly events?: EventBus;
  /** Tries per event and webhook (default 3). */
  readonly attempts?: number;
  readonly firstDelayMs?: number;
}

export class PushDelivery {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly p: PushPorts) {}

  deliver(taskId: string, resp: StreamResponse): void {
    const configs = this.p.configs(taskId);
    if (configs.length === 0) return;
    const prev = this.chains.get(taskId) ?? Promise.resolve();
    const next = prev.then(() => Promise.all(configs.map((c) => this.one(c, resp))).then(() => undefined));
    this.chains.set(taskId, next);
    void next.finally(() => {
      if (this.chains.get(taskId) === next) this.chains.delete(taskId);
    });
  }

  /** Resolves once every delivery queued so far has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.allSettled([...this.chains.values()]);
  }

  private async one(row: PushRow, resp: StreamResponse): Promise<void> {
    const c = row.config;
    const headers: Record<string, string> = { "content-type": "application/a2a+json" };
    if (c.authentication !== undefined) headers["authorization"] = c.authentication.credentials === undefined ? c.authentication.scheme : `${c.authentication.scheme} ${c.authentication.credentials}`;
    if (c.token !== undefined) headers["x-a2a-notification-token"] = c.token;
    const caller = this.p.callerOf(row.owner.replace(/^a2a:/, ""), row.capabilities);
    const attempts = this.p.attempts ?? 3;
    let delay = this.p.firstDelayMs ?? 500;
    let last = "";
    for (let i = 0; i < attempts; i++) {
      try {
        const out = (await this.p.invoke(caller, "ToolCall", { tool: "http.fetch", args: { url: c.url, method: "POST", headers, body: JSON.stringify(resp) } })) as { status?: unknown };
        const status = typeof out.status === "number" ? out.status : 0;
        if (status >= 200 && status < 300) return;
        last = `HTTP ${status}`;
      } catch (e) {
        const err = toAiosError(e);
        last = `${err.code}: ${err.message}`;
        // A refusal (no grant for the webhook's host) will not change by retrying.
        if (err.code === "E_CAP_DENIED" || err.code === "E_POLICY" || err.code === "E_INVALID_ARG") break;
      }
      if (i + 1 < attempts) {
        await new Promise<void>((r) => this.p.clock.setTimeout(r, delay));
        delay *= 2;
      }
    }
    this.p.events?.emit("a2a.push.failed", { taskId: c.taskId, configId: c.id, url: c.url, error: last }, undefined, "warn");
  }
}
