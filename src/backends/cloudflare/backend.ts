/**
 * The Cloudflare backend as one unit: read-mostly state in Workers KV, each tenant's
 * coordination state in its Durable Object (`DVP_TENANT`, addressed by `idFromName(tenantId)`),
 * and the optional Queue. The adapter and the tenant object both build their storage here.
 */
import { ConfigurationError } from "../../errors.ts";
import type { WorkMessage, WorkQueue } from "../../queue.ts";
import { createCloudflareKVDriver, type KVNamespaceLike } from "./kv.ts";
import type { KVDriver } from "../../store/driver.ts";
import type { RearmReport } from "../../scheduler/types.ts";
import { createSplitDriver } from "../../store/split.ts";
import { type KvCall, kvCallDriver, type KvResult } from "./kv-calls.ts";

/** The part of a Durable Object namespace binding the backend uses. */
export interface TenantNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): TenantStubLike;
}

/** The tenant object's RPC surface, as a stub sees it. */
export interface TenantStubLike {
  kv(call: KvCall): Promise<KvResult>;
  /** The Cron safety net's call: re-arm the alarm if it is missing, re-sync stale schedules. */
  ensureScheduled(tenantId: string): Promise<RearmReport>;
}

export interface QueueLike {
  send(body: unknown, options?: { contentType?: "json" }): Promise<void>;
  sendBatch(messages: { body: unknown; contentType?: "json" }[]): Promise<void>;
}

/** No index signature (DVP_* strings are read too), so the `Env` that `wrangler types` generates fits. */
export interface CloudflareEnv {
  DVP_KV: KVNamespaceLike;
  DVP_TENANT: TenantNamespaceLike;
  DVP_QUEUE?: QueueLike;
  /** The dead-letter queue's name (default "dvp-events-dlq"). */
  DVP_DEAD_LETTER_QUEUE?: string;
}

export interface CloudflareBackend {
  driver: KVDriver;
  queue?: WorkQueue;
  /** Ask a tenant's object to re-arm its alarm if missing (the scheduler's safety net). */
  rearm(tenantId: string): Promise<RearmReport>;
}

/**
 * `local`: inside a tenant's object, that tenant's calls go to its own store, not through a stub
 * back to itself.
 */
export function cloudflareBackend(
  env: CloudflareEnv,
  local?: { tenantId: string; send(call: KvCall): Promise<KvResult> },
): CloudflareBackend {
  if (!env.DVP_KV) throw new ConfigurationError("DVP_KV", "KV namespace binding is missing (see wrangler.toml)");
  if (!env.DVP_TENANT || typeof env.DVP_TENANT.idFromName !== "function") {
    throw new ConfigurationError("DVP_TENANT", "Durable Object binding is missing (see wrangler.toml)");
  }
  const namespace = env.DVP_TENANT;
  const stubOf = (tenantId: string) => namespace.get(namespace.idFromName(tenantId));
  const remote = (tenantId: string) => {
    const stub = stubOf(tenantId);
    return kvCallDriver("tenant-object", (call) => stub.kv(call));
  };
  const own = local && kvCallDriver("tenant-object", local.send);
  const driver = createSplitDriver({
    name: "cloudflare",
    shared: createCloudflareKVDriver(env.DVP_KV),
    authority: (tenantId) => (own && tenantId === local.tenantId ? own : remote(tenantId)),
  });
  const queue: WorkQueue | undefined = env.DVP_QUEUE && {
    send: (message: WorkMessage) => env.DVP_QUEUE!.send(message, { contentType: "json" }),
    sendBatch: (messages: WorkMessage[]) =>
      env.DVP_QUEUE!.sendBatch(messages.map((body) => ({ body, contentType: "json" as const }))),
  };
  const rearm = (tenantId: string) => stubOf(tenantId).ensureScheduled(tenantId);
  return { driver, rearm, ...(queue ? { queue } : {}) };
}
