/**
 * The glue that runs inside an isolated agent's QuickJS context, after its module: it builds the
 * guest's ctx (send, request, reply, spawn, sys.<Syscall>, stop, fail) over the one host function
 * `__aios_post(call, op, name, json, turn)` (each call names the receive whose ctx made it), keeps
 * the guest's pending calls, and exposes `__aios_init` and `__aios_receive`, which the worker calls
 * with JSON text and which answer JSON text. Values cross only as JSON: no host object, function or
 * prototype ever enters the guest's realm. Kept as source text because it runs in QuickJS, not in
 * Node.
 */
export const GUEST_GLUE = String.raw`(() => {
  const post = globalThis.__aios_post;
  const logic = globalThis.__aios_logic;
  const spec = JSON.parse(globalThis.__aios_spec);
  delete globalThis.__aios_post;
  delete globalThis.__aios_logic;
  delete globalThis.__aios_spec;
  if (typeof logic !== "object" || logic === null || typeof logic.receive !== "function") {
    throw new TypeError("the module's export has no receive(state, message, ctx) function");
  }
  const pending = new Map();
  let seq = 0;
  const json = (v) => JSON.stringify(v === undefined ? null : v);
  const call = (op, name, args, turn) => new Promise((resolve, reject) => {
    const id = ++seq;
    pending.set(id, { resolve, reject });
    post(id, op, name, json(args), turn);
  });
  globalThis.__aios_settle = (id, ok, text) => {
    const p = pending.get(id);
    if (p === undefined) return;
    pending.delete(id);
    if (ok) p.resolve(text === undefined ? undefined : JSON.parse(text));
    else {
      const e = JSON.parse(text);
      const err = new Error(e.message);
      err.code = e.code;
      p.reject(err);
    }
  };
  const STOP = Symbol.for("aios.stop");
  const stop = (result) => ({ [STOP]: true, outcome: "completed", result });
  const fail = (reason) => ({ [STOP]: true, outcome: "failed", reason: String(reason) });
  const ctxFor = (metaText) => {
    const meta = JSON.parse(metaText);
    const turn = meta.turn;
    return Object.freeze({
      self: meta.self,
      sender: meta.sender === null ? undefined : meta.sender,
      messageId: meta.messageId === null ? undefined : meta.messageId,
      enveloped: meta.enveloped === true,
      spec,
      sys: new Proxy({}, { get: (_, name) => (typeof name === "string" ? (args) => call("sys", name, args, turn) : undefined) }),
      send: (to, payload, options) => call("send", String(to), { payload, options }, turn),
      request: (to, payload, options) => call("request", String(to), { payload, options }, turn),
      reply: (value) => void post(0, "reply", String(turn), json(value), turn),
      spawn: (s) => call("spawn", "", s, turn),
      stop,
      fail,
    });
  };
  globalThis.__aios_init = async (argsText, metaText) => {
    if (typeof logic.init !== "function") return "null";
    return json(await logic.init(ctxFor(metaText), JSON.parse(argsText)));
  };
  globalThis.__aios_receive = async (stateText, payloadText, metaText) => {
    const r = await logic.receive(JSON.parse(stateText), JSON.parse(payloadText), ctxFor(metaText));
    if (typeof r === "object" && r !== null && r[STOP] === true) {
      return JSON.stringify({ stop: { outcome: r.outcome === "failed" ? "failed" : "completed", result: r.result, reason: r.reason } });
    }
    return JSON.stringify({ state: r === undefined ? null : r });
  };
})();`;
