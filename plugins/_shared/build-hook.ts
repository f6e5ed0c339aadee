/**
 * Shared by vercel-deployer and netlify-deployer: POST a deploy/build hook when content changes,
 * coalescing a burst into one build.
 *
 * How the coalescing works on the edge (no timers outlive a request there):
 * - The first change after a quiet period fires the hook at once (leading edge), guarded by a
 *   claim key per window slot so two isolates receiving a burst do not both fire.
 * - Changes inside the window only record a pending marker in plugin storage (KV).
 * - A scheduled task every 60 s (the kernel's tick) fires one build for everything pending once
 *   the window has passed since the first pending change and since the last build.
 * So a burst of N changes costs at most two builds, and the last change is built at most
 * window + 60 s after it arrived. On Cloudflare KV (eventually consistent, last writer wins) the
 * pending count is approximate and two locations can, rarely, both fire: a spare build, never a
 * lost one, because a failed or skipped trigger leaves the marker for the next tick.
 */
import type { Content, ScheduledTaskDefinition, TaskResult } from "@dvp/kernel";
import type { PluginStorage } from "@dvp/kernel";

export type ChangeKind = "published" | "updated" | "deleted";

export const BUILD_HOOK_PROPERTIES = {
  coalesce_window_seconds: {
    type: "integer",
    title: "Coalescing window (seconds)",
    description:
      "Changes within this window after a build are collected into one more build, fired by the next tick after the window. 0 builds on every change.",
    default: 60,
    minimum: 0,
    maximum: 3600,
  },
  trigger_on: {
    type: "array",
    title: "Trigger on",
    description: "Which content events start a build.",
    items: { type: "string", enum: ["published", "updated", "deleted"] },
    uniqueItems: true,
    default: ["published", "updated", "deleted"],
  },
  domains: {
    type: "array",
    title: "Domains",
    description: "Only content on these domains triggers a build (empty: every domain).",
    items: { type: "string", minLength: 1 },
    uniqueItems: true,
    default: [],
  },
  page_types: {
    type: "array",
    title: "Page types",
    description: "Only content of these page types triggers a build (empty: every type).",
    items: { type: "string", minLength: 1 },
    uniqueItems: true,
    default: [],
  },
} as const;

export interface BuildHookConfig {
  coalesce_window_seconds: number;
  trigger_on: ChangeKind[];
  domains: string[];
  page_types: string[];
}

export interface PendingBuild {
  /** When the first change not yet built arrived (ms). */
  since: number;
  count: number;
  contentIds: string[];
}

export interface BuildState {
  lastBuildAt: number | null;
  pending: PendingBuild | null;
}

const STATE_KEY = "build-state";
const MAX_IDS = 20;

/** Whether this change passes the tenant's filters. */
export function wantsBuild(config: BuildHookConfig, kind: ChangeKind, content: Content): boolean {
  if (!config.trigger_on.includes(kind)) return false;
  const domain = typeof content.domain === "string" ? content.domain.toLowerCase() : "";
  if (config.domains.length && !config.domains.some((d) => d.toLowerCase() === domain)) return false;
  const pageType = typeof content.page_type === "string" ? content.page_type : "";
  if (config.page_types.length && !config.page_types.includes(pageType)) return false;
  return true;
}

export interface Trigger {
  /** Fires the hook; resolves to the build/job id when the service returns one, throws on failure. */
  (reason: { count: number; contentIds: string[] }): Promise<string | null>;
}

/** The coalescer for one tenant: state in plugin storage, the clock from the kernel. */
export class BuildCoalescer {
  constructor(
    private readonly storage: PluginStorage,
    private readonly now: () => number,
  ) {}

  async state(): Promise<BuildState> {
    return (await this.storage.get<BuildState>(STATE_KEY)) ?? { lastBuildAt: null, pending: null };
  }

  /** A change arrived: fire now (leading edge) or record it as pending. */
  async onChange(
    windowSeconds: number,
    contentId: string,
    trigger: Trigger,
  ): Promise<{ fired: boolean; buildId?: string | null }> {
    const now = this.now();
    const windowMs = windowSeconds * 1000;
    const state = await this.state();
    const quiet = state.pending === null && (state.lastBuildAt === null || now - state.lastBuildAt >= windowMs);
    if (quiet) {
      const claimed = windowMs === 0 ||
        await this.storage.putIfAbsent(`claim:${Math.floor(now / windowMs)}`, now, {
          ttlSeconds: Math.max(60, windowSeconds * 2),
        });
      if (claimed) {
        try {
          const buildId = await trigger({ count: 1, contentIds: [contentId] });
          await this.storage.put(STATE_KEY, { lastBuildAt: now, pending: null } satisfies BuildState);
          return { fired: true, buildId };
        } catch (error) {
          // Leave a marker so the next tick retries the build, then report the failure.
          await this.storage.put(STATE_KEY, { ...state, pending: addTo(null, now, contentId) } satisfies BuildState);
          throw error;
        }
      }
    }
    await this.storage.put(STATE_KEY, { ...state, pending: addTo(state.pending, now, contentId) } satisfies BuildState);
    return { fired: false };
  }

  /** The tick: fire one build for the pending changes once the window has passed. */
  async flush(windowSeconds: number, trigger: Trigger): Promise<TaskResult> {
    const now = this.now();
    const windowMs = windowSeconds * 1000;
    const state = await this.state();
    const pending = state.pending;
    if (!pending) return { success: true, data: { triggered: false, pending: 0 } };
    const readyAt = Math.max(pending.since + windowMs, (state.lastBuildAt ?? 0) + windowMs);
    if (now < readyAt) {
      return {
        success: true,
        data: { triggered: false, pending: pending.count, due_in_seconds: Math.ceil((readyAt - now) / 1000) },
      };
    }
    let buildId: string | null;
    try {
      buildId = await trigger({ count: pending.count, contentIds: pending.contentIds });
    } catch (error) {
      return {
        success: false,
        errorMessage: error instanceof Error ? error.message : String(error),
        data: { pending: pending.count },
      };
    }
    // Changes recorded while the build was being triggered stay pending for the next tick.
    const latest = await this.state();
    const arrivedSince = latest.pending && latest.pending.count > pending.count
      ? { ...latest.pending, since: now, count: latest.pending.count - pending.count }
      : null;
    await this.storage.put(STATE_KEY, { lastBuildAt: now, pending: arrivedSince } satisfies BuildState);
    return { success: true, data: { triggered: true, coalesced: pending.count, build_id: buildId } };
  }
}

function addTo(pending: PendingBuild | null, now: number, contentId: string): PendingBuild {
  const ids = [...(pending?.contentIds ?? []).filter((id) => id !== contentId), contentId].slice(-MAX_IDS);
  return { since: pending?.since ?? now, count: (pending?.count ?? 0) + 1, contentIds: ids };
}

/** The tick task both deployers register. */
export function flushTask(plugin: string): ScheduledTaskDefinition {
  return {
    taskId: `${plugin}.flush-builds`,
    name: "Fire coalesced build",
    description: "Every minute: triggers one build for content changes collected during the coalescing window.",
    schedule: { intervalSeconds: 60 },
    maxRetries: 0, // the next tick is the retry
    timeoutSeconds: 50,
  };
}
