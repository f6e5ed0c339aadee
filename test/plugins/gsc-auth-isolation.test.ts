/**
 * One tenant's Google credentials never serve another tenant: the imported signing key and the
 * access token are cached per tenant and per digest of the whole account, and the token is not
 * written to storage where it would sit unsealed. Each part of the cache id has a test that
 * fails without it: the tenant (one account under two tenants), the key (rotated within a
 * tenant under the same email and key id) and the token URI.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createKernel, type Kernel } from "../../src/entries/runtime.ts";
import { createMemoryDriver, listAll, type MemoryDriver } from "../../src/entries/drivers.ts";
import type { ScheduledTaskDefinition, TaskResult } from "../../src/hooks.ts";
import { GscIntegrationPlugin } from "../../plugins/gsc-integration/index.ts";
import { type FakeGoogle, makeServiceAccount, type ServiceAccountFixture, startFakeGoogle } from "../fakes/google.ts";
import { instantRetries } from "./helpers.ts";

const TENANT_A = "0a0a0a0a-1111-4111-8111-000000000001";
const TENANT_B = "0b0b0b0b-2222-4222-8222-000000000002";
const SITE = "https://www.acme.com/";

const fakes: FakeGoogle[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function google(account: () => ServiceAccountFixture, clock: { now: number }): Promise<FakeGoogle> {
  const fake = await startFakeGoogle({ account, sites: [SITE], rowsPerDay: 1, now: () => clock.now });
  fakes.push(fake);
  return fake;
}

/** A private key PEM of the same length as `pem`, whose body is junk. */
function junkKeyLike(pem: string): string {
  return pem.replace(
    /(-----BEGIN PRIVATE KEY-----\n)([\s\S]*?)(\n-----END PRIVATE KEY-----)/,
    (_, a, body, b) => a + (body as string).replace(/[A-Za-z0-9+/]/g, "Q") + b,
  );
}

async function kernelWith(
  plugin: GscIntegrationPlugin,
  clock: { now: number },
  driver: MemoryDriver = createMemoryDriver(),
): Promise<Kernel> {
  const kernel = createKernel({
    plugins: [plugin],
    driver,
    allowInsecureUrls: true, // the fakes listen on 127.0.0.1
    now: () => clock.now,
    log: { level: "error", sink: () => {} },
  });
  for (const [id, slug] of [[TENANT_A, "a"], [TENANT_B, "b"]] as const) {
    await kernel.putTenant(id, { slug, plan: "pro" });
    await kernel.setConfig(id, plugin.name, { sites: [SITE], row_limit: 5 });
  }
  return kernel;
}

async function run(kernel: Kernel, plugin: GscIntegrationPlugin, tenantId: string, now: number): Promise<TaskResult> {
  const tasks = plugin as unknown as {
    registerScheduledTasks(ctx: unknown): ScheduledTaskDefinition[] | Promise<ScheduledTaskDefinition[]>;
    executeScheduledTask(t: ScheduledTaskDefinition, ctx: unknown, e: unknown): Promise<TaskResult>;
  };
  const ctx = kernel.context(await kernel.requireTenant(tenantId));
  const [task] = await tasks.registerScheduledTasks(ctx);
  const at = new Date(now);
  return tasks.executeScheduledTask(task!, ctx, {
    taskId: task!.taskId,
    executionId: crypto.randomUUID(),
    scheduledTime: at,
    actualTime: at,
    attempt: 1,
    tenantId,
    correlationId: null,
    signal: new AbortController().signal,
  }).catch((error: Error) => ({ success: false, errorMessage: error.message }));
}

/** Tenant A's account on its fake Google, A's secret set and a first run done. */
async function tenantARan(driver?: MemoryDriver) {
  const clock = { now: Date.parse("2026-11-20T06:00:00Z") };
  const holder: { a?: ServiceAccountFixture } = {};
  const googleA = await google(() => holder.a!, clock);
  const a = holder.a = makeServiceAccount(googleA.tokenUrl);
  const plugin = new GscIntegrationPlugin({ allowInsecureUrls: true, apiBaseUrl: googleA.url, http: instantRetries });
  const kernel = await kernelWith(plugin, clock, driver);
  await kernel.setSecrets(TENANT_A, plugin.name, { service_account_json: a.json });
  await kernel.enable(TENANT_A, plugin.name);
  expect((await run(kernel, plugin, TENANT_A, clock.now)).success).toBe(true);
  return { clock, holder, googleA, a, plugin, kernel, parsed: JSON.parse(a.json) as Record<string, string> };
}

describe("gsc-integration credentials across tenants", () => {
  it("does not sign tenant B's assertion with tenant A's cached key (same email, key id and key length)", async () => {
    const { clock, holder, plugin, kernel, parsed } = await tenantARan();
    // B's own token endpoint verifies with A's PUBLIC key: a token issued here is an assertion A's key signed.
    const googleB = await google(() => holder.a!, clock);
    const forged = { ...parsed, private_key: junkKeyLike(parsed.private_key!), token_uri: googleB.tokenUrl };
    expect(forged.private_key.length).toBe(parsed.private_key!.length);
    expect(forged.private_key).not.toBe(parsed.private_key);
    await kernel.setSecrets(TENANT_B, plugin.name, { service_account_json: JSON.stringify(forged) });
    await kernel.enable(TENANT_B, plugin.name);
    const result = await run(kernel, plugin, TENANT_B, clock.now);

    expect(result.success).toBe(false);
    expect(result.errorMessage).toMatch(/private_key cannot be imported/);
    expect(googleB.tokensIssued).toBe(0);
    expect(googleB.requests.filter((r) => r.url === "/token")).toHaveLength(0);
  });

  it("does not hand tenant B the access token tenant A obtained", async () => {
    const { clock, googleA, plugin, kernel, parsed } = await tenantARan();
    expect(googleA.tokensIssued).toBe(1);

    // Same email and key id, another (junk) key: B must exchange its own assertion, and fail.
    await kernel.setSecrets(TENANT_B, plugin.name, {
      service_account_json: JSON.stringify({ ...parsed, private_key: junkKeyLike(parsed.private_key!) }),
    });
    await kernel.enable(TENANT_B, plugin.name);
    const result = await run(kernel, plugin, TENANT_B, clock.now);
    expect(result.success).toBe(false);
    expect(googleA.tokensIssued).toBe(1);

    // The same key again for A is served from A's own cache entry.
    expect((await run(kernel, plugin, TENANT_A, clock.now)).success).toBe(true);
    expect(googleA.tokensIssued).toBe(1);
  });

  it("keeps the access token out of plugin storage", async () => {
    const driver = createMemoryDriver();
    const { googleA } = await tenantARan(driver);
    const tokens: string[] = [];
    for (const request of googleA.requests) {
      const bearer = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ""))?.[1];
      if (bearer) tokens.push(bearer);
    }
    expect(tokens.length).toBeGreaterThan(0);
    let stored = "";
    for await (const key of listAll(driver, "")) stored += `${key}=${await driver.get(key)}\n`;
    expect(stored).toContain("gsc-integration"); // the plugin's sync state is there, the token is not
    for (const token of new Set(tokens)) expect(stored).not.toContain(token);
  });

  it("a key rotated within one tenant (same email and key id) is used at once: the token endpoint sees the new key", async () => {
    const { clock, holder, googleA, plugin, kernel, parsed } = await tenantARan();
    expect(googleA.tokensIssued).toBe(1);
    // A new key pair under the same email and key id; the token endpoint now verifies with its public key only.
    const fresh = makeServiceAccount(googleA.tokenUrl);
    const rotated = { ...parsed, private_key: (JSON.parse(fresh.json) as Record<string, string>).private_key };
    holder.a = { ...holder.a!, json: JSON.stringify(rotated), publicKey: fresh.publicKey };
    await kernel.setSecrets(TENANT_A, plugin.name, { service_account_json: holder.a.json });

    expect((await run(kernel, plugin, TENANT_A, clock.now)).success).toBe(true);
    // The old token was not reused, and the new assertion was signed with the new key (else /token refuses it).
    expect(googleA.tokensIssued).toBe(2);
  });

  it("one account under two tenants: each tenant exchanges its own token", async () => {
    const { clock, googleA, plugin, kernel, a } = await tenantARan();
    expect(googleA.tokensIssued).toBe(1);
    await kernel.setSecrets(TENANT_B, plugin.name, { service_account_json: a.json });
    await kernel.enable(TENANT_B, plugin.name);
    expect((await run(kernel, plugin, TENANT_B, clock.now)).success).toBe(true);
    expect(googleA.tokensIssued).toBe(2);
    // Each is then served from its own entry.
    expect((await run(kernel, plugin, TENANT_A, clock.now)).success).toBe(true);
    expect((await run(kernel, plugin, TENANT_B, clock.now)).success).toBe(true);
    expect(googleA.tokensIssued).toBe(2);
  });

  it("a changed token_uri within one tenant is a new exchange at the new endpoint, not the old token", async () => {
    const { clock, holder, googleA, plugin, kernel, parsed } = await tenantARan();
    const other = await google(() => holder.a!, clock);
    await kernel.setSecrets(TENANT_A, plugin.name, {
      service_account_json: JSON.stringify({ ...parsed, token_uri: other.tokenUrl }),
    });
    // (The run itself fails: the API lives on A's fake, which knows only its own tokens, and refuses the new one.)
    await run(kernel, plugin, TENANT_A, clock.now);
    expect(other.tokensIssued).toBeGreaterThan(0);
    expect(googleA.tokensIssued).toBe(1);
  });
});
