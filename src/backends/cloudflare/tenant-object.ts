/**
 * The tenant's Durable Object (SQLite storage, `new_sqlite_classes` in wrangler.toml): the one
 * authority for the tenant's coordination state (DESIGN §5). Workers reach it by RPC, one call
 * per operation (`kv`), each applied synchronously to its SQL store, so a check and its write
 * never interleave with another request; accepting a webhook is one call (`claimWith`).
 *
 * Its alarm is armed for the earliest moment something of the tenant needs attention: an
 * unfinished event (its inbox marker's due time), a job (its next slot, pending retry or lease
 * end) and, at most daily, the clean-up of expired rows. When it fires, the object re-drives its
 * own unfinished events and runs its own due jobs through the same processor and scheduler the
 * Worker runs (scoped to this tenant; with DVP_QUEUE most jobs are handed to the queue), then
 * re-arms in `finally`: nothing the object accepted or scheduled depends on a scan elsewhere.
 * There is no due index: the Cron tick only calls `ensureScheduled` on a page of objects to
 * re-arm a lost alarm. Slot claims and run locks stay what decides, so an alarm and a queue
 * consumer that meet run a slot once.
 */
/// <reference path="./workers-module.d.ts" />
import { DurableObject } from "cloudflare:workers";
import { eventKeys } from "../../events/keys.ts";
import { parseInboxMarker } from "../../events/sweep.ts";
import type { Plugin } from "../../plugin.ts";
import { createRuntime, type Runtime, type RuntimeSettings } from "../../runtime.ts";
import { cloudflareBackend, type CloudflareEnv } from "./backend.ts";
import { applyKvCall, type KvCall, type KvResult, writtenValues } from "./kv-calls.ts";
import { SqlKeyValue } from "./sql-kv.ts";
import { STATE_PREFIX } from "../../scheduler/keys.ts";
import { type JobState, wakeAt } from "../../scheduler/state.ts";
import type { RearmReport } from "../../scheduler/types.ts";
import { isUuid } from "../../context.ts";
import { errorMessage, KernelError } from "../../errors.ts";
import { coordinationTenant } from "../../store/coordination-keys.ts";

export type PluginFactory = (settings: RuntimeSettings) => Plugin[];

/** Test seam: the plugins an object's re-drive runs (set on an instance through runInDurableObject). */
const pluginsOverride = new WeakMap<object, PluginFactory>();
export function setTenantObjectPlugins(instance: object, plugins: PluginFactory): void {
  pluginsOverride.set(instance, plugins);
}

/**
 * The class as its users see it: a Durable Object that Workers call (`kv`) by RPC. Written out
 * for the published types; in a Worker project `cloudflare:workers` is Cloudflare's own, so
 * `class TenantObject extends createTenantObject(…) {}` is a real Durable Object there.
 */
export interface TenantObjectClass {
  new (
    ...args: ConstructorParameters<typeof DurableObject<CloudflareEnv>>
  ): DurableObject<CloudflareEnv> & {
    kv(call: KvCall): Promise<KvResult>;
    ensureScheduled(tenantId: string): Promise<RearmReport>;
    alarm(): Promise<void>;
  };
}

export function tenantObjectClass(plugins: PluginFactory): TenantObjectClass {
  return class TenantObject extends DurableObject<CloudflareEnv> {
    #sql: SqlKeyValue | undefined;
    #runtime: Runtime | undefined;
    /**
     * The time the alarm is armed for (null: none), kept so a write compares with it instead of
     * rescanning the tenant; undefined until this instance has read it (its first write rescans).
     * While the alarm runs it still names the running alarm: whatever was due by then is due.
     */
    #armedFor: number | null | undefined;

    get #store(): SqlKeyValue {
      const storage = this.ctx.storage;
      return this.#sql ??= new SqlKeyValue(storage.sql, { transact: (work) => storage.transactionSync(work) });
    }

    /** One key-value operation on this tenant's coordination state. */
    async kv(call: KvCall): Promise<KvResult> {
      const result = applyKvCall(this.#store, call);
      // A write that failed its condition wrote nothing; a delete never needs the alarm earlier.
      if (result !== false) {
        let at: number | null = null;
        for (const [key, value] of writtenValues(call)) {
          const due = key.startsWith(eventKeys.inboxPrefix)
            ? parseInboxMarker(value).due
            : key.startsWith(STATE_PREFIX)
            ? jobAttention(value)
            : null;
          if (due !== null && (at === null || due < at)) at = due;
        }
        if (at !== null) await this.#bringForward(at);
      }
      return result;
    }

    /** The alarm at `at` when that is earlier than the armed one: only what was written is new. */
    async #bringForward(at: number): Promise<void> {
      // First use of this instance: the rows already stored (an alarm lost with an earlier
      // instance) count too, once.
      if (this.#armedFor === undefined) await this.#arm();
      if (this.#armedFor === null || this.#armedFor === undefined || at < this.#armedFor) {
        this.#armedFor = at; // before the await, so concurrent writes compare with it
        try {
          await this.ctx.storage.setAlarm(at);
        } catch (error) {
          this.#armedFor = undefined; // unknown now: the next write rescans what is stored
          throw error;
        }
      }
    }

    /**
     * The Cron safety net's call, once per rotation over the tenants: re-sync the schedules a
     * deployment changed (another plugin version, a plugin's first tasks), then arm the alarm
     * if it is missing or later than the earliest job or event needs.
     */
    async ensureScheduled(tenantId: string): Promise<RearmReport> {
      if (!isUuid(tenantId)) throw new KernelError("ERR_VALIDATION", "ensureScheduled: not a tenant id");
      const before = await this.ctx.storage.getAlarm();
      const synced = await this.#runtimeFor(tenantId.toLowerCase()).scheduler.syncIfStale(tenantId);
      await this.#arm();
      const after = await this.ctx.storage.getAlarm();
      return { rearmed: before === null && after !== null, synced };
    }

    override async alarm(): Promise<void> {
      try {
        this.#store.purgeExpired();
        const tenantId = this.#tenant();
        const now = new Date(Math.max(Date.now(), this.#armedFor ?? 0));
        if (tenantId) {
          const runtime = this.#runtimeFor(tenantId);
          await runtime.events.sweep(now, { tenantId });
          await runtime.scheduler.runTenant(tenantId, now);
        }
      } catch (error) {
        console.error(`tenant object: re-driving unfinished events failed: ${errorMessage(error)}`);
        throw error;
      } finally {
        // Exactly for what is next: the alarms armed while it ran (a lease, a lease moved) are past.
        // Unknown until that is done, so a failure here leaves the next write to rescan.
        this.#armedFor = undefined;
        await this.#arm(true);
      }
    }

    /**
     * The alarm at the earliest moment something needs attention: an unfinished event, a job, else
     * the next clean-up. `exact`: replace the current alarm (after a run), not only bring it forward.
     * A scan of every marker and job state: after an alarm and on an instance's first write only.
     */
    async #arm(exact = false): Promise<void> {
      const storage = this.ctx.storage;
      let next: number | null = null;
      const consider = (at: number | null) => {
        if (at !== null && (next === null || at < next)) next = at;
      };
      for (const [, value] of this.#store.entries(eventKeys.inboxPrefix)) consider(parseInboxMarker(value).due);
      for (const [, value] of this.#store.entries(STATE_PREFIX)) consider(jobAttention(value));
      consider(this.#store.nextPurgeAt(Date.now()));
      const current = await storage.getAlarm();
      if (next === null) {
        if (exact && current !== null) await storage.deleteAlarm();
        this.#armedFor = exact ? null : current;
        return;
      }
      if (current === null || next < current || (exact && next !== current)) {
        await storage.setAlarm(next);
        this.#armedFor = next;
      } else {
        this.#armedFor = current;
      }
    }

    /** This object's tenant, from its own keys (every key it holds names it). */
    #tenant(): string | null {
      const [first] = this.#store.list({ prefix: "", limit: 1 }).keys;
      return first === undefined ? null : coordinationTenant(first);
    }

    #runtimeFor(tenantId: string): Runtime {
      if (!this.#runtime) {
        const backend = cloudflareBackend(this.env, {
          tenantId,
          send: (call) => this.kv(call),
        });
        this.#runtime = createRuntime({
          env: this.env,
          driver: backend.driver,
          ...(backend.queue ? { queue: backend.queue } : {}),
          plugins: pluginsOverride.get(this) ?? plugins,
          sweepInbox: false,
          // The object is its tenant's scheduler: its alarm runs the due jobs, no KV index.
          scheduler: { dueIndex: false },
        });
      }
      return this.#runtime;
    }
  };
}

/** When a stored job state next needs a look; a garbled one, never. */
function jobAttention(value: string): number | null {
  try {
    return wakeAt(JSON.parse(value) as JobState);
  } catch {
    return null;
  }
}
