/**
 * The reliability rig: a real runtime (createRuntime: kernel, scheduler, event processor, HTTP
 * app) over a fault-injecting memory driver, with a fake clock, captured logs, an optional
 * test queue, and the invariants of DESIGN §6 as assertions:
 *
 * - every accepted webhook (2xx "accepted") has exactly one final record per plugin that was
 *   enabled when it arrived, and no other event has any;
 * - records never cross tenants;
 * - no secret value appears in any response body or log line.
 */
import { expect } from "vitest";
import { bytesToBase64 } from "../../src/crypto/base64.ts";
import { signWebhook } from "../../src/http/standard-webhooks.ts";
import type { Plugin } from "../../src/plugin.ts";
import { createRuntime, type Runtime } from "../../src/runtime.ts";
import { listAll } from "../../src/store/driver.ts";
import type { ExecutionRecord } from "../../src/store/history.ts";
import { keys } from "../../src/store/keys.ts";
import { createMemoryDriver } from "../../src/backends/memory.ts";
import { type CapturedLogs, captureLogs } from "../../src/testing/logs.ts";
import { createFakeClock, type FakeClock } from "../../src/testing/clock.ts";
import { createFaultyDriver, type FaultyDriver } from "./faulty-driver.ts";
import type { TestQueue } from "./test-queue.ts";
import type { KVDriver } from "../../src/store/driver.ts";
import type { TenantRecord } from "../../src/store/tenants.ts";

export const START = "2026-11-24T06:00:00.000Z";
export const ADMIN_SECRET = "reliability-admin-jwt-secret-0123456789abcdef";

export function masterKey(kid: string, fill: number): { text: string; material: string } {
  const material = bytesToBase64(new Uint8Array(32).fill(fill));
  return { text: `${kid}:${material}`, material };
}

export interface RigOptions {
  plugins: () => Plugin[];
  queue?: TestQueue;
  clock?: FakeClock;
  /** Share one store between several rigs (several isolates of one deployment). */
  driver?: FaultyDriver;
  masterKeys?: string;
  seed?: number;
}

export interface TenantHandle {
  id: string;
  secret: string;
}

export interface SendResult {
  status: number;
  body: string;
  id: string;
}

export class Rig {
  readonly clock: FakeClock;
  readonly driver: FaultyDriver;
  readonly logs: CapturedLogs;
  readonly runtime: Runtime;
  readonly queue: TestQueue | undefined;
  /** Every secret value handed to the system: none may come back out. */
  readonly secrets = new Set<string>();
  /** Every response body this rig saw. */
  readonly responses: string[] = [];
  /** Event ids answered 2xx (202 accepted, or 200 duplicate) per tenant, with the plugins enabled then. */
  readonly accepted = new Map<string, Map<string, string[]>>();
  readonly #background = new Set<Promise<unknown>>();
  readonly #answered202 = new Set<string>();

  constructor(options: RigOptions) {
    this.clock = options.clock ?? createFakeClock(START);
    this.driver = options.driver ??
      createFaultyDriver(createMemoryDriver({ now: () => this.clock.now() }), { seed: options.seed ?? 7 });
    this.logs = captureLogs();
    this.queue = options.queue;
    const keysText = options.masterKeys ?? masterKey("k1", 1).text;
    for (const part of keysText.split(",")) this.secrets.add(part.split(":")[1]!);
    this.secrets.add(ADMIN_SECRET);
    this.runtime = createRuntime({
      env: { DVP_MASTER_KEYS: keysText, DVP_ADMIN_JWT_SECRET: ADMIN_SECRET, DVP_LOG_LEVEL: "debug" },
      driver: this.driver,
      ...(options.queue ? { queue: options.queue } : {}),
      plugins: options.plugins,
      now: () => this.clock.now(),
      logSink: this.logs.sink,
    });
  }

  get kernel() {
    return this.runtime.kernel;
  }

  /**
   * A tenant with the given plugins enabled, after setting the secrets given per plugin (a plugin
   * whose SECRETS_SCHEMA requires some cannot be enabled without them); every secret is remembered.
   */
  async tenant(
    plugins: string[],
    id: string = crypto.randomUUID(),
    secrets: Record<string, Record<string, string>> = {},
  ): Promise<TenantHandle> {
    const { generatedSecret } = await this.kernel.putTenant(id, { slug: `t-${id.slice(0, 8)}`, plan: "pro" });
    for (const p of plugins) {
      if (secrets[p]) await this.setSecrets(id, p, secrets[p]);
      await this.kernel.enable(id, p);
    }
    this.secrets.add(generatedSecret!);
    this.secrets.add(generatedSecret!.slice("whsec_".length));
    return { id, secret: generatedSecret! };
  }

  /** Plugin secrets set through the kernel, remembered so leaks can be looked for. */
  async setSecrets(tenantId: string, plugin: string, values: Record<string, string>): Promise<void> {
    for (const v of Object.values(values)) this.secrets.add(v);
    await this.kernel.setSecrets(tenantId, plugin, values);
  }

  /** The plugins of the tenant that implement contentPublished and are enabled now. */
  async enabledNow(tenantId: string): Promise<string[]> {
    // Read beneath the faults and the isolate cache: the test's own bookkeeping must not fail.
    const raw = await this.driver.inner.get(keys.tenant(tenantId));
    const tenant = JSON.parse(raw!) as TenantRecord;
    return this.kernel.enabledPlugins(tenant, "contentPublished").map((p) => p.name);
  }

  /** A signed webhook through runtime.fetch, as the edge would call it (waitUntil kept). */
  async send(
    tenant: TenantHandle,
    options: { id?: string; timestampOffsetSeconds?: number; body?: string; secret?: string } = {},
  ): Promise<SendResult> {
    const id = options.id ?? `msg_${crypto.randomUUID().replaceAll("-", "")}`;
    const body = options.body ?? JSON.stringify({
      type: "content.published",
      timestamp: new Date(this.clock.now()).toISOString(),
      data: { content_id: `post-${id}`, content: { title: "Hello", tenant: tenant.id }, metadata: {} },
    });
    const ts = Math.floor(this.clock.now() / 1000) + (options.timestampOffsetSeconds ?? 0);
    const enabled = await this.enabledNow(tenant.id);
    const request = new Request(`http://kernel.test/v1/webhooks/${tenant.id}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": id,
        "webhook-timestamp": String(ts),
        "webhook-signature": await signWebhook(options.secret ?? tenant.secret, id, ts, body),
      },
      body,
    });
    const response = await this.runtime.fetch(request, (work) => this.#keep(work));
    const text = await response.text();
    this.responses.push(text);
    if (response.status === 202) {
      expect(this.#answered202.has(`${tenant.id}|${id}`), `event ${id} accepted twice`).toBe(false);
      this.#answered202.add(`${tenant.id}|${id}`);
    }
    // Any 2xx ends the sender's retries ("duplicate" included): the event is then owed its records.
    if (response.status === 202 || response.status === 200) {
      let events = this.accepted.get(tenant.id);
      if (!events) this.accepted.set(tenant.id, events = new Map());
      if (!events.has(id)) events.set(id, enabled);
    }
    return { status: response.status, body: text, id };
  }

  /** Wait for the background dispatches started by webhooks. */
  async settle(): Promise<void> {
    while (this.#background.size) await Promise.allSettled([...this.#background]);
    await this.runtime.events.idle();
  }

  /**
   * Let time pass and the system heal: deliver queued messages (honouring their retry delays) or
   * let ticks sweep the inbox, until nothing is left or `rounds` run out.
   */
  async drain(rounds = 12, others: Rig[] = []): Promise<void> {
    await this.settle();
    for (let i = 0; i < rounds; i++) {
      if (this.queue) {
        if (!this.queue.pending.length) return;
        const wait = Math.max(0, ...this.queue.pending.map((p) => p.retryDelaySeconds));
        this.clock.advance(wait * 1000);
        await this.queue.deliver([this.runtime, ...others.map((o) => o.runtime)]);
      } else {
        if (!(await this.driver.inner.list({ prefix: "inbox:" })).keys.length) return;
        this.clock.advance(5 * 60_000);
        await this.runtime.tick();
      }
      await this.settle();
    }
  }

  /** Every history record of the tenant (read from the store underneath the faults). */
  async records(tenantId: string, driver: KVDriver = this.driver.inner): Promise<ExecutionRecord[]> {
    const prefix = keys.historyPrefix(tenantId);
    const all: string[] = [];
    for await (const key of listAll(driver, prefix)) all.push(key);
    const values = await driver.getMany(all);
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as ExecutionRecord);
  }

  /**
   * DESIGN §6: for every accepted event, exactly one final hook record per plugin enabled when it
   * arrived; no final record for any other (event, plugin); every record in its own tenant.
   * Returns the final records by status, for the test's own expectations.
   */
  async expectEventInvariant(tenants: TenantHandle[]): Promise<Record<string, number>> {
    const byStatus: Record<string, number> = {};
    for (const tenant of tenants) {
      const records = (await this.records(tenant.id)).filter((r) => r.kind === "hook");
      for (const r of records) expect(r.tenantId, "a record stored under another tenant").toBe(tenant.id);
      const finals = new Map<string, number>();
      for (const r of records.filter((r) => r.final)) {
        const key = `${r.eventId}|${r.plugin}`;
        finals.set(key, (finals.get(key) ?? 0) + 1);
        byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
      }
      const expected = new Set<string>();
      for (const [eventId, plugins] of this.accepted.get(tenant.id) ?? []) {
        for (const plugin of plugins) {
          expected.add(`${eventId}|${plugin}`);
          expect(finals.get(`${eventId}|${plugin}`) ?? 0, `final records for event ${eventId}, plugin ${plugin}`)
            .toBe(1);
        }
      }
      for (const key of finals.keys()) expect(expected.has(key), `unexpected final record ${key}`).toBe(true);
    }
    return byStatus;
  }

  /** No secret value in any response body or log line this rig saw (nor in extra texts given). */
  expectNoSecretLeak(extra: string[] = []): void {
    const texts = [this.logs.text(), ...this.responses, ...extra];
    for (const secret of this.secrets) {
      if (secret.length < 8) continue;
      for (const text of texts) {
        if (text.includes(secret)) {
          throw new Error(`secret ${secret.slice(0, 4)}… leaked in: ${text.slice(0, 300)}`);
        }
      }
    }
  }

  #keep(work: Promise<unknown>): void {
    const tracked = work.catch(() => {});
    this.#background.add(tracked);
    void tracked.finally(() => this.#background.delete(tracked));
  }
}
