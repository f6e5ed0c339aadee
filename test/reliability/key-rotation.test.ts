/**
 * The master key rotates while requests are in flight: `rotateSecrets()` re-encrypts every
 * tenant's webhook and plugin secrets under the new primary key while webhooks arrive and
 * plugins read their secrets, in the rotating isolate and in another one. The invariants at
 * risk: no webhook refused, no secret read failing or returning a wrong value, no secret write
 * lost, no key material in any response or log line.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { HookContext } from "../../src/context.ts";
import type { Content } from "../../src/hooks.ts";
import { keys } from "../../src/store/keys.ts";
import { createFakeClock } from "../../src/testing/clock.ts";
import { CountingPlugin } from "./plugins.ts";
import { masterKey, Rig, START } from "./rig.ts";

/** Reads its API token on every call, and remembers what it read. */
class SecretReader extends CountingPlugin {
  override SECRETS_SCHEMA = { type: "object", properties: { api_token: { type: "string" } } } as const;
  readonly read: string[] = [];
  constructor() {
    super("reader");
  }
  override async contentPublished(ctx: HookContext, id: string, content: Content): Promise<void> {
    super.contentPublished(ctx, id, content);
    this.read.push((await this.getSecrets(ctx.tenantId)).require("api_token"));
  }
}

let rigs: Rig[] = [];
afterEach(() => {
  for (const r of rigs) r.expectNoSecretLeak();
  rigs = [];
});

describe("master key rotation in flight", () => {
  it("webhooks and secret reads during rotateSecrets() all succeed; everything ends under the new key", async () => {
    const k1 = masterKey("k1", 1);
    const k2 = masterKey("k2", 2);
    const clock = createFakeClock(START);
    const before = new Rig({ plugins: () => [new SecretReader()], clock, masterKeys: k1.text });
    const tenants = [];
    for (let i = 0; i < 8; i++) {
      const tenant = await before.tenant(["reader"]);
      await before.setSecrets(tenant.id, "reader", { api_token: `tok_${i}_${"s".repeat(24)}` });
      tenants.push(tenant);
    }
    // The new deployment knows both keys (new primary first); an old isolate still runs beside it.
    const readerNew = new SecretReader();
    const rotating = new Rig({
      plugins: () => [readerNew],
      clock,
      driver: before.driver,
      masterKeys: `${k2.text},${k1.text}`,
    });
    const readerOld = new SecretReader();
    const old = new Rig({
      plugins: () => [readerOld],
      clock,
      driver: before.driver,
      masterKeys: `${k2.text},${k1.text}`,
    });
    rigs = [before, rotating, old];
    for (const r of rigs) for (const t of tenants) r.secrets.add(t.secret);
    for (const r of rigs) r.secrets.add(k2.material);
    // Slow storage widens the window in which reads and the rotation interleave.
    before.driver.inject({ ops: ["get", "put"], delayMs: 2, probability: 0.5 });

    const traffic = Promise.all(
      tenants.flatMap((t, i) =>
        Array.from({ length: 6 }, (_, j) => (j % 2 ? old : rotating).send(t, { id: `msg_${i}_${j}` }))
      ),
    );
    const reads = Promise.all(tenants.map(async (t, i) => {
      for (let n = 0; n < 5; n++) {
        const secrets = await rotating.kernel.getSecrets(t.id, "reader");
        expect(secrets.require("api_token")).toBe(`tok_${i}_${"s".repeat(24)}`);
      }
    }));
    const [results, , report] = await Promise.all([traffic, reads, rotating.kernel.rotateSecrets()]);
    expect(results.every((r) => r.status === 202), results.map((r) => r.status).join()).toBe(true);
    expect(report.failed).toEqual([]);
    expect(report.reencrypted).toBe(16); // 8 webhook secrets + 8 plugin secret bundles

    for (const r of [rotating, old]) await r.settle();
    for (const [tenantId, events] of old.accepted) {
      rotating.accepted.set(tenantId, new Map([...(rotating.accepted.get(tenantId) ?? []), ...events]));
    }
    await rotating.drain(12, [old]);
    await rotating.expectEventInvariant(tenants);
    // Every dispatch read its tenant's token, in whichever isolate ran it.
    const read = [...readerNew.read, ...readerOld.read];
    expect(read).toHaveLength(48);
    expect(read.every((v) => /^tok_\d_s{24}$/.test(v))).toBe(true);
    // At rest, only k2 envelopes remain: k1 can now be removed from DVP_MASTER_KEYS.
    for (const t of tenants) {
      const raw = (await before.driver.inner.get(keys.tenant(t.id)))!;
      expect(raw).not.toContain("v1.k1.");
      expect(raw).toContain("v1.k2.");
    }
    // A fresh isolate with only the new key serves every tenant.
    const after = new Rig({ plugins: () => [new SecretReader()], clock, driver: before.driver, masterKeys: k2.text });
    rigs.push(after);
    for (const t of tenants) {
      after.secrets.add(t.secret);
      expect((await after.send(t)).status).toBe(202);
    }
  });

  it("a secret written while the rotation runs is not lost, nor is the rotation", async () => {
    const k1 = masterKey("k1", 1);
    const k2 = masterKey("k2", 2);
    const clock = createFakeClock(START);
    const before = new Rig({ plugins: () => [new SecretReader()], clock, masterKeys: k1.text });
    const tenant = await before.tenant(["reader"]);
    await before.setSecrets(tenant.id, "reader", { api_token: "tok_before_rotation_0001" });
    const rig = new Rig({
      plugins: () => [new SecretReader()],
      clock,
      driver: before.driver,
      masterKeys: `${k2.text},${k1.text}`,
    });
    rigs = [before, rig];
    rig.secrets.add(tenant.secret);
    before.driver.inject({ ops: ["get", "put"], delayMs: 3 });
    await Promise.all([
      rig.kernel.rotateSecrets(),
      rig.setSecrets(tenant.id, "reader", { api_token: "tok_written_during_rotation" }),
    ]);
    rig.kernel.tenants.invalidate();
    expect((await rig.kernel.getSecrets(tenant.id, "reader")).require("api_token")).toBe("tok_written_during_rotation");
    // …and the rotation is not lost either: nothing is left under k1.
    expect(await before.driver.inner.get(keys.tenant(tenant.id))).not.toContain("v1.k1.");
  });
});
