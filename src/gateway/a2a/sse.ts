/**
 * Server-Sent Events from an async iterable: one `id:`/`data:` frame per item, the stream closed
 * when the iterable ends, and the iterable's producer aborted when the client goes away (the
 * ReadableStream is cancelled), so a dropped subscriber leaves nothing running.
 */
export interface SseFrame {
  readonly id?: string;
  readonly data: string;
}

export function sseResponse(frames: AsyncIterable<SseFrame>, abort: AbortController): Response {
  const enc = new TextEncoder();
  const it = frames[Symbol.asyncIterator]();
  const body = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      try {
        const n = await it.next();
        if (n.done === true) {
          ctrl.close();
          return;
        }
        ctrl.enqueue(enc.encode(`${n.value.id === undefined ? "" : `id: ${n.value.id}\n`}data: ${n.value.data}\n\n`));
      } catch (e) {
        ctrl.error(e);
      }
    },
    async cancel() {
      abort.abort();
      await it.return?.();
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" } });
}
