/**
 * A tenant whose webhook secrets cannot be decrypted (DVP_MASTER_KEYS lost the key they were
 * sealed with) gets the same 401 as an unknown tenant: without the keys the signature cannot be
 * checked, so any other answer would tell an unsigned request that the tenant exists (DESIGN §4,
 * no tenant oracle). The failure is logged once per tenant in an isolate, so the operator sees
 * it without a line per retried delivery; senders that retry every non-2xx (Svix) deliver once
 * the key is back.
 */
import { describe, expect, it } from "vitest";
import { createKernel } from "../../src/entries/runtime.ts";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import type { LogRecord } from "../../src/index.ts";
import { eventBody, RecorderPlugin, signedRequest, webhookApp } from "../fixtures/webhook-kit.ts";

const A = "0a0a0a0a-1111-4111-8111-000000000001";
const B = "0b0b0b0b-2222-4222-8222-000000000002";
const OLD_KEYS = "old:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const NEW_KEYS = "new:HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

describe("webhook secrets that cannot be decrypted", () => {
  it("answer exactly as an unknown tenant does (401), and are logged once per tenant", async () => {
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

    const UNKNOWN = "0c0c0c0c-3333-4333-8333-000000000003";
    const refusal = async (answer: Response) => ({
      status: answer.status,
      headers: [...answer.headers].filter(([name]) => name !== "date"),
      body: await answer.text(),
    });
    const unknown = await refusal(await send(UNKNOWN, secretA));
    expect(unknown.status).toBe(401);
    for (let i = 0; i < 3; i++) expect(await refusal(await send(A, secretA))).toEqual(unknown);
    expect(await refusal(await send(B, secretB))).toEqual(unknown);
    expect(await refusal(await send(B, secretB))).toEqual(unknown);

    const errors = logs.filter((r) => r.level === "error");
    expect(errors.map((r) => [r.msg, r.tenant_id])).toEqual([
      ["webhook secrets cannot be decrypted: check DVP_MASTER_KEYS", A],
      ["webhook secrets cannot be decrypted: check DVP_MASTER_KEYS", B],
    ]);
    expect(String(errors[0]!.error)).toMatch(/unknown key id "old"/);
  });
});
