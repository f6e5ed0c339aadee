/**
 * The tenant's Durable Object (SQLite storage, `new_sqlite_classes` in wrangler.toml): the one
 * authority for the tenant's coordination state (DESIGN §5). Workers reach it by RPC, one call
 * per operation (`kv`), each applied synchronously to its SQL store, so a check and its write
 * never interleave with another request; accepting a webhook is one call (`claimWith`).
 *
 * Its alarm is armed for the earliest unfinished event (an inbox marker's due time) and, at
 * most daily, for the clean-up of expired rows. When it fires, the object re-drives its own
 * unfinished events through the same processor the Worker runs (its sweep, scoped to this
 * tenant), then re-arms in `finally`: nothing the object accepted depends on a scan elsewhere.
 */
import { DurableObject } from "cloudflare:workers";
import { errorMessage } from "../../errors.ts";
import { eventKeys } from "../../events/keys.ts";
import type { Plugin } from "../../plugin.ts";
import { createRuntime, type Runtime, type RuntimeSettings } from "../../runtime.ts";
import { cloudflareBackend, type CloudflareEnv } from "./backend.ts";
import { applyKvCall, type KvCall, type KvResult, writtenKeys } from "./kv-calls.ts";
import { SqlKeyValue } from "./sql-kv.ts";

export type PluginFactory = (settings: RuntimeSettings) => Plugin[];

/** Expired rows are cleaned up at most this often. */
const PURGE_EVERY_MS = 86_400_000;

const UUID_LENGTH = 36;

/** Test seam: the plugins an object's re-drive runs (set on an instance through runInDurableObject). */
const pluginsOverride = new WeakMap<object, PluginFactory>();
export function setTenantObjectPlugins(instance: object, plugins: PluginFactory): void {
  pluginsOverride.set(instance, plugins);
}

export function tenantObjectClass(plugins: PluginFactory) {
  return class TenantObject extends DurableObject<CloudflareEnv> {
    #sql: SqlKeyValue | undefined;
    #runtime: Runtime | undefined;
    /** The time the alarm was last armed for: when it fires, whatever was due by then is due. */
    #armedFor = 0;

    get #store(): SqlKeyValue {
      const storage = this.ctx.storage;
      return this.#sql ??= new SqlKeyValue(storage.sql, { transact: (work) => storage.transactionSync(work) });
    }

    /** One key-value operation on this tenant's coordination state. */
    async kv(call: KvCall): Promise<KvResult> {
      const result = applyKvCall(this.#store, call);
      if (writtenKeys(call).some((key) => key.startsWith(eventKeys.inboxPrefix))) await this.#arm();
      return result;
    }

    override async alarm(): Promise<void> {
      try {
        this.#store.purgeExpired();
        const tenantId = this.#tenant();
        const now = new Date(Math.max(Date.now(), this.#armedFor));
        if (tenantId) await this.#runtimeFor(tenantId).events.sweep(now, { tenantId });
      } catch (error) {
        console.error(`tenant object: re-driving unfinished events failed: ${errorMessage(error)}`);
        throw error;
      } finally {
        await this.#arm();
      }
    }

    /** The alarm at the earliest unfinished event's due time, else the next clean-up, else none. */
    async #arm(): Promise<void> {
      const storage = this.ctx.storage;
      let next: number | null = null;
      for (const [, value] of this.#store.entries(eventKeys.inboxPrefix)) {
        const due = dueOf(value);
        if (next === null || due < next) next = due;
      }
      const expiry = this.#store.nextExpiry();
      if (expiry !== null) {
        const purge = Math.max(expiry, Date.now() + PURGE_EVERY_MS);
        if (next === null || purge < next) next = purge;
      }
      const current = await storage.getAlarm();
      if (next === null) return;
      if (current === null || next < current) {
        this.#armedFor = next;
        await storage.setAlarm(next);
      }
    }

    /** This object's tenant, from its own keys (every key it holds names it). */
    #tenant(): string | null {
      const [first] = this.#store.entries(eventKeys.inboxPrefix);
      return first ? first[0].slice(eventKeys.inboxPrefix.length, eventKeys.inboxPrefix.length + UUID_LENGTH) : null;
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
        });
      }
      return this.#runtime;
    }
  };
}

/** An inbox marker's due time; a garbled one is due now. */
function dueOf(value: string): number {
  try {
    const due = Number((JSON.parse(value) as { due?: unknown }).due);
    return Number.isFinite(due) ? due : 0;
  } catch {
    return 0;
  }
}
