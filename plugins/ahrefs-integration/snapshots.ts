/** Snapshots in plugin storage: `snapshot:{target}:{YYYY-MM-DD}`, one per target and day (a re-run overwrites). */
import type { PluginStorage } from "@dvp/kernel";
import type { OrganicKeyword } from "./client.ts";

export interface Snapshot {
  target: string;
  date: string;
  takenAt: string;
  domain_rating?: number | null;
  ahrefs_rank?: number | null;
  backlinks?: number | null;
  refdomains?: number | null;
  org_keywords?: number | null;
  org_keywords_1_3?: number | null;
  org_traffic?: number | null;
  org_cost?: number | null;
  keywords?: OrganicKeyword[];
}

export function snapshotKey(target: string, date: string): string {
  return `snapshot:${encodeURIComponent(target)}:${date}`;
}

/** A target's snapshots, oldest first, the most recent `limit`. */
export async function loadSnapshots(storage: PluginStorage, target: string, limit = 120): Promise<Snapshot[]> {
  const keys = (await storage.list(`snapshot:${encodeURIComponent(target)}:`, 5000)).slice(-limit);
  // One batch read (an operation per 100 keys on Workers KV), not a get per snapshot: a chart of
  // 50 targets would have cost 6,000 of an invocation's 1,000 operations.
  const found = await storage.getMany<Snapshot>(keys);
  return found.filter((s): s is Snapshot => s !== null);
}
