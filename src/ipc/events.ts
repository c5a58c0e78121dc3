/** The event types ipc/ adds to the kernel bus. */
import type { DeadLetterReason } from "./dead-letters.js";

declare module "../core/index.js" {
  interface EventDataMap {
    "ipc.dead_letter": { id: string; message: string; reason: DeadLetterReason; detail: string; recipient?: string };
    "ipc.intent.routed": { message: string; to: string; skill: string; score: number; tied: number };
    "ipc.duplicate": { message: string; recipient: string };
  }
}

export {};
