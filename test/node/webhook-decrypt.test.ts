/**
 * A tenant whose webhook secrets cannot be decrypted (DVP_MASTER_KEYS lost the key they were
 * sealed with) gets 503 with Retry-After, so the CMS retries once the key is back, and the
 * failure is logged once per tenant in an isolate, so it is seen but does not flood the log.
 */
import { describe, expect, it } from "vitest";
import { createKernel, createMemoryDriver, type LogRecord } from "../../src/index.ts";
import { eventBody, RecorderPlugin, signedRequest, webhookApp } from "../fixtures/webhook-kit.ts";

const A = "0a0a0a0a-1111-4111-8111-000000000001";
const B = "0b0b0b0b-2222-4222-8222-000000000002";
const OLD_KEYS = "old:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const NEW_KEYS = "new:HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

describe("webhook secrets that cannot be decrypted", () => {
  it("answer 503 with Retry-After, problem+json, and are logged once per tenant", async () => {
    const driver = createMemoryDriver();
    const sealer = createKernel({ driver, masterKeys: OLD_KEYS, log: { level: "error", sink: () => {} } });
    const secretA = (await sealer.putTenant(A, { slug: "a", plan: "pro" })).generatedSecret!;
    const secretB = (await sealer.putTenant(B, { slug: "b", plan: "pro" })).generatedSecret!;

    // The deployment lost the old key: the stored envelopes name a key id it does not have.
    const logs: LogRecord[] = [];
    const kernel = createKernel({
      driver,
      masterKeys: NEW_KEYS,
      plugins: [new RecorderPlugin()],
      log: { level: "info", sink: (record) => logs.push(record) },
    });
    const app = webhookApp(kernel);
    const send = async (tenant: string, secret: string) =>
      await app.request(await signedRequest(`http://kernel.test/v1/webhooks/${tenant}`, secret, eventBody()));

    for (let i = 0; i < 3; i++) {
      const answer = await send(A, secretA);
      expect(answer.status).toBe(503);
      expect(answer.headers.get("retry-after")).toMatch(/^\d+$/);
      expect(answer.headers.get("content-type")).toBe("application/problem+json");
      const body = await answer.json() as Record<string, unknown>;
      expect(body).toMatchObject({ status: 503, type: expect.stringMatching(/secrets-unavailable$/) });
      expect(JSON.stringify(body)).not.toMatch(/DVP_MASTER_KEYS|old/);
    }
    expect((await send(B, secretB)).status).toBe(503);
    expect((await send(B, secretB)).status).toBe(503);

    const errors = logs.filter((r) => r.level === "error");
    expect(errors.map((r) => [r.msg, r.tenant_id])).toEqual([
      ["webhook secrets cannot be decrypted: check DVP_MASTER_KEYS", A],
      ["webhook secrets cannot be decrypted: check DVP_MASTER_KEYS", B],
    ]);
    expect(String(errors[0]!.error)).toMatch(/unknown key id "old"/);
  });
});
