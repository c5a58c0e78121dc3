/** The memory fabric's kernel events (augmenting core's EventDataMap). */
declare module "../core/index.js" {
  interface EventDataMap {
    "memory.stored": { id: string; version: string; type: string; scope: string; namespace: string; op: string };
  }
}
export {};
