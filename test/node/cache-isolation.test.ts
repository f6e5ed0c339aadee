/**
 * Every isolate-level cache that holds tenant-derived data, warmed by one tenant and then asked
 * by another: nothing one tenant put there serves another. (The Google credential caches of
 * gsc-integration have their own test: test/plugins/gsc-auth-isolation.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhook } from "../../src/http/standard-webhooks.ts";
import { createKernel, parseMasterKeys } from "../../src/entries/runtime.ts";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import { SecretBox } from "../../src/crypto/secret-box.ts";
import { eventBody, RecorderPlugin, signedRequest, webhookApp } from "../fixtures/webhook-kit.ts";

const A = "0a0a0a0a-1111-4111-8111-000000000001";
const B = "0b0b0b0b-2222-4222-8222-000000000002";
const MASTER_KEYS = "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

describe("isolate caches across tenants", () => {
  it("SecretBox: an envelope A opened (cached plaintext and derived key) does not open for B or another plugin", async () => {
    const box = new SecretBox(parseMasterKeys(MASTER_KEYS));
    const envelope = await box.encrypt(A, "gsc-integration", "A's secret");
    expect(await box.decrypt(A, "gsc-integration", envelope)).toBe("A's secret");
    expect(await box.decrypt(A, "gsc-integration", envelope)).toBe("A's secret"); // from the cache
    await expect(box.decrypt(B, "gsc-integration", envelope)).rejects.toMatchObject({ code: "ERR_DECRYPT" });
    await expect(box.decrypt(A, "ahrefs-integration", envelope)).rejects.toMatchObject({ code: "ERR_DECRYPT" });
    // B's derived key, cached next to A's, seals what A's cannot open.
    const forB = await box.encrypt(B, "gsc-integration", "B's secret");
    await expect(box.decrypt(A, "gsc-integration", forB)).rejects.toMatchObject({ code: "ERR_DECRYPT" });
    expect(await box.decrypt(B, "gsc-integration", forB)).toBe("B's secret");
  });

  it("webhook keys: a secret's cached HMAC key never verifies for another secret of the same length", async () => {
    const secretA = `whsec_${btoa("a".repeat(31) + "1")}`;
    const secretB = `whsec_${btoa("a".repeat(31) + "2")}`;
    expect(secretA.length).toBe(secretB.length);
    const body = eventBody();
    const ts = Math.floor(Date.now() / 1000);
    const headers = { "webhook-id": "msg_1", "webhook-timestamp": String(ts) };
    const signedByA = { ...headers, "webhook-signature": await signWebhook(secretA, "msg_1", ts, body) };
    await verifyWebhook(secretA, signedByA, body); // A's key is cached now
    await expect(verifyWebhook(secretB, signedByA, body)).rejects.toMatchObject({ code: "ERR_WEBHOOK_SIGNATURE" });
  });

  it("tenants and their webhook keys: A's signature is refused on B's route after both are cached", async () => {
    const plugin = new RecorderPlugin();
    const kernel = createKernel({
      driver: createMemoryDriver(),
      masterKeys: MASTER_KEYS,
      plugins: [plugin],
      log: { level: "error", sink: () => {} },
    });
    const secretA = (await kernel.putTenant(A, { slug: "a", plan: "pro" })).generatedSecret!;
    const secretB = (await kernel.putTenant(B, { slug: "b", plan: "pro" })).generatedSecret!;
    await kernel.enable(A, "recorder");
    await kernel.enable(B, "recorder");
    const app = webhookApp(kernel);
    const url = (tenant: string) => `http://kernel.test/v1/webhooks/${tenant}`;
    expect((await app.request(await signedRequest(url(A), secretA, eventBody()))).status).toBe(202);
    expect((await app.request(await signedRequest(url(B), secretB, eventBody()))).status).toBe(202);
    expect((await app.request(await signedRequest(url(B), secretA, eventBody()))).status).toBe(401);
    expect((await app.request(await signedRequest(url(A), secretB, eventBody()))).status).toBe(401);
    expect((await kernel.requireTenant(A)).slug).toBe("a");
    expect((await kernel.requireTenant(B)).slug).toBe("b");
  });
});
