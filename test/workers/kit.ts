/**
 * Helpers of the workerd tests: admin calls through a Worker's fetch, and an env whose KV and
 * tenant-object bindings count what a request costs.
 */
// @ts-ignore: workerd's built-in module; @cloudflare/workers-types is not in test/tsconfig's types
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { KvCall, KvResult } from "../../src/backends/cloudflare/kv-calls.ts";
import { signAdminToken } from "../fixtures/webhook-kit.ts";
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import type { createWorker } from "../../src/adapters/cloudflare.ts";
import { Plugin } from "../../src/index.ts";

export const ADMIN_SECRET = "workers-test-admin-secret-0123456789";
export const BASE = "http://kernel.test";
export type Env = Record<string, unknown>;
export type Fetcher = (request: Request) => Promise<Response>;

export async function createTenant(send: Fetcher): Promise<{ id: string; secret: string; token: string }> {
  const id = crypto.randomUUID();
  const token = await signAdminToken(ADMIN_SECRET, { tenants: "*" });
  const res = await send(
    new Request(`${BASE}/v1/tenants/${id}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ slug: "acme", plan: "pro" }),
    }),
  );
  expect(res.status).toBe(201);
  const body = await res.json() as { webhook_secret: string };
  return { id, secret: body.webhook_secret, token };
}

export async function enable(send: Fetcher, tenant: { id: string; token: string }, plugin: string) {
  const res = await send(
    new Request(`${BASE}/v1/tenants/${tenant.id}/plugins/${plugin}/enable`, {
      method: "POST",
      headers: { authorization: `Bearer ${tenant.token}` },
    }),
  );
  expect(res.status).toBe(200);
}

export async function executions(send: Fetcher, tenant: { id: string; token: string }) {
  const res = await send(
    new Request(`${BASE}/v1/tenants/${tenant.id}/executions?limit=50`, {
      headers: { authorization: `Bearer ${tenant.token}` },
    }),
  );
  expect(res.status).toBe(200);
  const body = await res.json() as Record<string, unknown>[] | { executions: Record<string, unknown>[] };
  return Array.isArray(body) ? body : body.executions;
}

export interface Costs {
  objectRequests: number;
  kvReads: number;
  kvWrites: number;
  reset(): void;
}

interface KvBinding {
  get(...args: unknown[]): Promise<unknown>;
  put(...args: unknown[]): Promise<void>;
  delete(key: string): Promise<void>;
  list(options?: unknown): Promise<unknown>;
}

interface TenantStub {
  kv(call: KvCall): Promise<KvResult>;
  ensureScheduled(tenantId: string): Promise<unknown>;
}

interface TenantBinding {
  idFromName(name: string): unknown;
  get(id: unknown): TenantStub;
}

/** The test env (real local KV and Durable Objects), with every KV and object request counted. */
export function countingEnv(extra: Env = {}): { env: Env; costs: Costs } {
  const kv = env.DVP_KV as KvBinding;
  const tenants = env.DVP_TENANT as TenantBinding;
  const costs: Costs = {
    objectRequests: 0,
    kvReads: 0,
    kvWrites: 0,
    reset() {
      this.objectRequests = this.kvReads = this.kvWrites = 0;
    },
  };
  const DVP_KV: KvBinding = {
    get: (...args) => (costs.kvReads++, kv.get(...args)),
    put: (...args) => (costs.kvWrites++, kv.put(...args)),
    delete: (key) => (costs.kvWrites++, kv.delete(key)),
    list: (options) => (costs.kvReads++, kv.list(options)),
  };
  const DVP_TENANT: TenantBinding = {
    idFromName: (name) => tenants.idFromName(name),
    get(id) {
      const stub = tenants.get(id);
      return {
        kv: (call) => (costs.objectRequests++, stub.kv(call)),
        ensureScheduled: (tenantId) => (costs.objectRequests++, stub.ensureScheduled(tenantId)),
      };
    },
  };
  return { env: { ...env, DVP_KV, DVP_TENANT, DVP_LOG_LEVEL: "warn", ...extra }, costs };
}

/** The tenant's object, for runInDurableObject and runDurableObjectAlarm. */
export function tenantStub(tenantId: string) {
  const ns = env.DVP_TENANT as { idFromName(name: string): unknown; get(id: unknown): unknown };
  return ns.get(ns.idFromName(tenantId));
}

/** The part of a tenant object's storage the tests read and set directly. */
export interface ObjectStorage {
  getAlarm(): Promise<number | null>;
  deleteAlarm(): Promise<void>;
  sql: { exec(query: string, ...args: unknown[]): { toArray(): Record<string, unknown>[] } };
}

/** `work` inside the tenant's object, with its storage and instance. */
export const inObject = <T>(tenantId: string, work: (storage: ObjectStorage, instance: object) => T | Promise<T>) =>
  runInDurableObject(
    tenantStub(tenantId) as never,
    (instance: object, state: unknown) => work((state as { storage: ObjectStorage }).storage, instance),
  );

/** Requests through a Worker's fetch, its background work awaited. */
export function sender(worker: ReturnType<typeof createWorker>, env: Env): Fetcher {
  return async (request) => {
    const ctx = createExecutionContext();
    const res = await worker.fetch(request, env as never, ctx);
    await waitOnExecutionContext(ctx);
    return res;
  };
}

/** A task at the top of every hour; it records the slots it ran. */
export class HourlyPlugin extends Plugin {
  readonly name = "hourly";
  readonly version = "1.0.0";
  readonly runs: string[] = [];
  registerScheduledTasks() {
    return [{ taskId: "hourly.sync", name: "Sync", schedule: { cronExpression: "0 * * * *" } }];
  }
  executeScheduledTask(_task: unknown, _ctx: unknown, exec: { scheduledTime: Date }) {
    this.runs.push(exec.scheduledTime.toISOString());
    return { success: true };
  }
}
