/**
 * What the composition root lets observe/ sample at scrape time: mailbox depth from the process
 * table's read-only view, and the data directory's disk space (for the disk SLO). Sampled per scrape,
 * never per event, so they cost nothing between scrapes.
 */
import { statfsSync } from "node:fs";
import type { AgentView } from "../abi/index.js";

export function mailboxStats(agents: Iterable<AgentView>): { total: number; max: number } {
  let total = 0;
  let max = 0;
  for (const a of agents) {
    const n = a.mailbox?.length ?? 0;
    total += n;
    if (n > max) max = n;
  }
  return { total, max };
}

/** Free and total bytes of the data directory's file system; undefined when it cannot be read. */
export function dataDirDisk(dataDir: string): { free: number; size: number } | undefined {
  try {
    const s = statfsSync(dataDir);
    return { free: s.bavail * s.bsize, size: s.blocks * s.bsize };
  } catch {
    return undefined;
  }
}
