/**
 * Tenant writes that lose a race, and history texts that are clipped: what the caller is told
 * must be what was stored, and no part of a secret survives a cut.
 */
import { describe, expect, it } from "vitest";
import { createKernel, generateMasterKey } from "../../src/entries/runtime.ts";
import { createMemoryDriver, type KVDriver } from "../../src/entries/drivers.ts";
import { ExecutionHistory, MAX_RECORD_TEXT } from "../../src/store/history.ts";
import { captureLogs } from "../../src/testing/logs.ts";

const TENANT = "0b7c9a52-3d5e-4f61-8a2b-c0ffee0000aa";

describe("tenant writes that lose a race", () => {
  it("two isolates creating one tenant: only the creator reports a generated secret, and it is the stored one", async () => {
    const driver = createMemoryDriver();
    const masterKeys = generateMasterKey("k1");
    const isolates = [createKernel({ driver, masterKeys }), createKernel({ driver, masterKeys })];
    const results = await Promise.all(isolates.map((k) => k.putTenant(TENANT, { slug: "raced", plan: "free" })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const stored = await createKernel({ driver, masterKeys }).webhookSecrets(
      (await createKernel({ driver, masterKeys }).getTenant(TENANT))!,
    );
    for (const result of results) {
      if (result.created) expect(stored).toEqual([result.generatedSecret]);
      else expect(result.generatedSecret).toBeUndefined();
    }
  });

  it("rotateSecrets reports a tenant it cannot write and still rotates the others", async () => {
    const inner = createMemoryDriver();
    const other = "0b7c9a52-3d5e-4f61-8a2b-c0ffee0000bb";
    const refuse = (key: string) => key === `tenant:${TENANT}` && rotating;
    let rotating = false;
    const driver: KVDriver = {
      ...inner,
      put: (key, value, opts) => refuse(key) ? Promise.reject(new Error("KV down")) : inner.put(key, value, opts),
      putIfUnchanged: (key, expected, value, opts) =>
        refuse(key) ? Promise.reject(new Error("KV down")) : inner.putIfUnchanged!(key, expected, value, opts),
    };
    const before = generateMasterKey("old");
    const writer = createKernel({ driver, masterKeys: before });
    await writer.putTenant(TENANT, { slug: "stuck", plan: "free" });
    await writer.putTenant(other, { slug: "fine", plan: "free" });
    const after = `${generateMasterKey("new")},${before}`;
    rotating = true;
    const logs = captureLogs();
    const report = await createKernel({ driver, masterKeys: after, log: { sink: logs.sink } }).rotateSecrets();
    expect(logs.find({ msg: "secrets rotated" })).toMatchObject([{ level: "info", tenants: 2, failed: 1 }]);
    expect(report.tenants).toBe(2);
    expect(report.reencrypted).toBe(1);
    expect(report.failed).toEqual([{ tenantId: TENANT, scope: "tenant", error: "KV down" }]);
  });
});

describe("history texts", () => {
  it("scrubs a secret before clipping, so a cut through it leaves nothing of it", () => {
    const secret = "sk_live_ABCDEFGHIJKL";
    const history = new ExecutionHistory(createMemoryDriver(), {
      scrub: (text) => text.replaceAll(secret, "[redacted]"),
    });
    const error = `${"a".repeat(MAX_RECORD_TEXT - 8)}${secret}${"b".repeat(5_000)}`;
    const { record, json } = history.prepare({
      tenantId: TENANT,
      kind: "hook",
      plugin: "p",
      name: "h",
      status: "failed",
      final: true,
      error,
    });
    expect(json).not.toContain("sk_live");
    expect(record.error!.length).toBeLessThan(MAX_RECORD_TEXT + 40);
    expect(record.error).toMatch(/… \(\d+ characters\)$/);
  });

  it("does not cut between the halves of a surrogate pair", () => {
    const history = new ExecutionHistory(createMemoryDriver());
    const error = `${"a".repeat(MAX_RECORD_TEXT - 1)}😀tail`;
    const { record } = history.prepare({
      tenantId: TENANT,
      kind: "hook",
      plugin: "p",
      name: "h",
      status: "failed",
      final: true,
      error,
    });
    expect(record.error!.startsWith(`${"a".repeat(MAX_RECORD_TEXT - 1)}…`)).toBe(true);
    expect(record.error).not.toMatch(/[\uD800-\uDBFF]…/);
  });
});
