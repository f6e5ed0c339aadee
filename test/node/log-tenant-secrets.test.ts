/**
 * The log scrubber's secret values are kept per tenant: one tenant saving many secrets cannot push
 * another tenant's out of the list, so an error quoting the other's secret is still scrubbed from
 * logs and history. Tenants are kept least recently used first; an evicted tenant's secrets are
 * registered again when they are next read.
 */
import { describe, expect, it } from "vitest";
import { createKernel, getLogger, LogConfig } from "../../src/entries/runtime.ts";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import { Plugin } from "../../src/index.ts";
import { captureLogs } from "../../src/testing/logs.ts";

class VaultPlugin extends Plugin {
  readonly name = "vault";
  readonly version = "1.0.0";
  override SECRETS_SCHEMA = {
    type: "object",
    properties: { api_key: { type: "string" } },
    required: ["api_key"],
  } as const;
}

const MASTER_KEYS = "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

async function setup(log: LogConfig, count: number) {
  const kernel = createKernel({
    driver: createMemoryDriver(),
    masterKeys: MASTER_KEYS,
    plugins: [new VaultPlugin()],
    log,
  });
  const tenants: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = crypto.randomUUID();
    await kernel.putTenant(id, { slug: `t${i}`, plan: "pro" });
    tenants.push(id);
  }
  return { kernel, tenants };
}

const hookRecord = (tenantId: string, error: string) => ({
  tenantId,
  kind: "hook" as const,
  plugin: "vault",
  name: "contentPublished",
  status: "failed" as const,
  final: true,
  error,
});

describe("secret values in logs, per tenant", () => {
  it("tenant B saving 1,100 secrets leaves tenant A's scrubbed in its logs and history", async () => {
    const logs = captureLogs();
    const { kernel, tenants: [a, b] } = await setup(new LogConfig({ level: "debug", sink: logs.sink }), 2);
    const secretA = `sk_live_tenant_a_${"a".repeat(40)}`;
    await kernel.setSecrets(a!, "vault", { api_key: secretA });
    for (let i = 0; i < 1_100; i++) {
      await kernel.setSecrets(b!, "vault", {
        api_key: `sk_live_tenant_b_${String(i).padStart(6, "0")}_${"b".repeat(30)}`,
      });
    }

    const logger = getLogger("dvp.plugin.vault", kernel.log);
    logger.child({ tenant_id: a }).error(`upstream refused key ${secretA}`, { detail: `key=${secretA}` });
    logger.error("a record naming the tenant in its fields", { tenant_id: a, error: `bad ${secretA}` });
    logger.error(`a record naming no tenant: ${secretA}`);
    const record = await kernel.history.record(hookRecord(a!, `401 for ${secretA}`));
    const stored = await kernel.history.list(a!, { kind: "hook" });

    const lines = logs.records.map((r) => JSON.stringify(r));
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line).not.toContain(secretA);
      expect(line).toContain("[redacted]");
    }
    expect(record.error).toBe("401 for [redacted]");
    expect(JSON.stringify(stored)).not.toContain(secretA);

    // B's newest secret is scrubbed in B's records as well.
    const newestB = `sk_live_tenant_b_001099_${"b".repeat(30)}`;
    expect(kernel.log.scrub(`x ${newestB}`, b)).toBe("x [redacted]");
  });

  it("tenants are kept least recently used first; an evicted tenant's secrets come back when read", async () => {
    const logs = captureLogs();
    const log = new LogConfig({ level: "debug", sink: logs.sink, maxSecretTenants: 2 });
    const { kernel, tenants: [a, b, c] } = await setup(log, 3);
    const secret = (t: string) => `sk_${t.replaceAll("-", "")}`;
    for (const t of [a!, b!, c!]) await kernel.setSecrets(t, "vault", { api_key: secret(t) });
    // A is the least recently used of three: its values are no longer held.
    expect(log.scrub(secret(a!), a)).toBe(secret(a!));
    expect(log.scrub(secret(c!), c)).toBe("[redacted]");
    // A hook reads its secrets before it can quote them: that registers them again.
    await kernel.getSecrets(a!, "vault");
    expect(log.scrub(`k=${secret(a!)}`, a)).toBe("k=[redacted]");
  });

  it("each tenant keeps its own bound; platform-wide values are scrubbed in every tenant's records", () => {
    const log = new LogConfig({ maxSecretsPerTenant: 3 });
    const a = crypto.randomUUID();
    log.addSecretValue("platform-wide-secret");
    for (let i = 0; i < 5; i++) log.addSecretValue(`value-number-${i}`, a);
    expect(log.scrub("value-number-0 value-number-4", a)).toBe("value-number-0 [redacted]");
    expect(log.scrub("platform-wide-secret", a)).toBe("[redacted]");
    expect(log.scrub("platform-wide-secret", crypto.randomUUID())).toBe("[redacted]");
    // A tenant's value is no other tenant's business; a record naming no tenant scrubs all.
    expect(log.scrub("value-number-4", crypto.randomUUID())).toBe("value-number-4");
    expect(log.scrub("value-number-4")).toBe("[redacted]");
  });
});
