/**
 * The composition root on Node: settings from an env-like record (every missing or malformed
 * variable named at start-up), fetch with waitUntil, tick (scheduler + inbox sweep) and consume
 * routing queue messages by kind.
 */
import { describe, expect, it } from "vitest";
import { ConfigurationError } from "../../src/index.ts";
import { createMemoryDriver } from "../../src/entries/drivers.ts";
import { createRuntime, readSettings } from "../../src/runtime.ts";
import type { WorkMessage } from "../../src/queue.ts";
import { captureLogs } from "../../src/testing/logs.ts";
import { eventBody, RecorderPlugin, signedRequest } from "../fixtures/webhook-kit.ts";

const ENV = {
  DVP_MASTER_KEYS: "test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
  DVP_ADMIN_JWT_SECRET: "node-runtime-admin-secret-0123456789abc",
  DVP_LOG_LEVEL: "error",
};

function configError(env: Record<string, unknown>): ConfigurationError {
  try {
    readSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error("expected a ConfigurationError");
}

describe("readSettings", () => {
  it("names the missing or malformed variable", () => {
    expect(configError({ ...ENV, DVP_MASTER_KEYS: undefined }).variable).toBe("DVP_MASTER_KEYS");
    expect(configError({ ...ENV, DVP_MASTER_KEYS: "  " }).variable).toBe("DVP_MASTER_KEYS");
    expect(configError({ ...ENV, DVP_MASTER_KEYS: "nokid" }).variable).toBe("DVP_MASTER_KEYS");
    expect(configError({ ...ENV, DVP_ADMIN_JWT_SECRET: undefined }).variable).toBe("DVP_ADMIN_JWT_SECRET");
    expect(configError({ ...ENV, DVP_LOG_LEVEL: "loud" }).variable).toBe("DVP_LOG_LEVEL");
    expect(configError({ ...ENV, DVP_WEBHOOK_BODY_LIMIT: "1MB" }).variable).toBe("DVP_WEBHOOK_BODY_LIMIT");
    expect(configError({ ...ENV, DVP_WEBHOOK_BODY_LIMIT: "10" }).variable).toBe("DVP_WEBHOOK_BODY_LIMIT");
    expect(configError({ ...ENV, DVP_ALLOW_INSECURE_URLS: "yes" }).variable).toBe("DVP_ALLOW_INSECURE_URLS");
    expect(() => createRuntime({ env: { ...ENV, DVP_MASTER_KEYS: "" }, driver: createMemoryDriver() })).toThrow(
      /DVP_MASTER_KEYS/,
    );
  });

  it("reads defaults and values; secrets never appear in the error text", () => {
    const s = readSettings({ ...ENV, DVP_ALLOW_INSECURE_URLS: "TRUE", DVP_WEBHOOK_BODY_LIMIT: "2048" });
    expect(s).toMatchObject({ allowInsecureUrls: true, logLevel: "error", webhookBodyLimitBytes: 2048 });
    expect(readSettings(ENV)).toMatchObject({ allowInsecureUrls: false, webhookBodyLimitBytes: 1024 * 1024 });
    // Both key sources at once are both kept (HS256 against the secret, asymmetric tokens against the JWKS).
    const both = readSettings({
      ...ENV,
      DVP_ADMIN_JWKS_URL: "https://id.example.com/.well-known/jwks.json",
      DVP_ADMIN_JWT_ISSUER: "https://id.example.com/",
      DVP_ADMIN_JWT_AUDIENCE: "dvp",
    });
    expect(both).toMatchObject({
      adminJwtSecret: ENV.DVP_ADMIN_JWT_SECRET,
      adminJwksUrl: "https://id.example.com/.well-known/jwks.json",
    });
    const error = configError({ ...ENV, DVP_MASTER_KEYS: "k:c2VjcmV0LXRoYXQtaXMtdG9vLXNob3J0" });
    expect(error.message).not.toContain("c2VjcmV0LXRoYXQtaXMtdG9vLXNob3J0");
  });
});

describe("createRuntime", () => {
  async function runtime(env: Record<string, string> = {}) {
    const recorder = new RecorderPlugin();
    const logs = captureLogs(); // a test that fails a plugin on purpose asserts on the log instead of printing it
    const rt = createRuntime({
      env: { ...ENV, ...env },
      driver: createMemoryDriver(),
      plugins: [recorder],
      logSink: logs.sink,
    });
    const tenant = crypto.randomUUID();
    const { generatedSecret } = await rt.kernel.putTenant(tenant, { slug: "rt", plan: "pro" });
    await rt.kernel.enable(tenant, "recorder");
    return { rt, recorder, tenant, secret: generatedSecret!, logs };
  }

  it("serves webhooks with waitUntil, honours DVP_WEBHOOK_BODY_LIMIT and mounts the admin API", async () => {
    const { rt, recorder, tenant, secret } = await runtime({ DVP_WEBHOOK_BODY_LIMIT: "2048" });
    const background: Promise<unknown>[] = [];
    const url = `http://rt.test/v1/webhooks/${tenant}`;
    const res = await rt.fetch(await signedRequest(url, secret, eventBody()), (w) => void background.push(w));
    expect(res.status).toBe(202);
    expect(background).toHaveLength(1);
    await Promise.all(background);
    expect(recorder.seen).toHaveLength(1);
    const big = JSON.stringify({ pad: "x".repeat(3000) });
    expect((await rt.fetch(await signedRequest(url, secret, big))).status).toBe(413);
    expect((await rt.fetch(new Request("http://rt.test/v1/plugins"))).status).toBe(401);
    expect((await rt.fetch(new Request("http://rt.test/healthz"))).status).toBe(200);
  });

  it("tick runs the scheduler and sweeps the inbox; consume routes by kind and acks what nobody can read", async () => {
    const { rt, recorder, tenant, logs } = await runtime();
    const outcome = await rt.tick(new Date());
    expect(outcome.errors).toEqual([]);
    expect(outcome.scheduler).not.toBeNull();
    expect(outcome.swept).toBe(0);

    // An event waiting in the KV (as the queue path leaves it), delivered as a message.
    await rt.kernel.driver.put(
      `evt:${tenant}:m1`,
      JSON.stringify({
        v: 1,
        event: {
          id: "m1",
          tenantId: tenant,
          type: "content.updated",
          timestamp: "2026-11-24T00:00:00Z",
          contentId: "c",
          content: {},
          receivedAt: "2026-11-24T00:00:00Z",
        },
        hook: "contentUpdated",
        plugins: ["recorder"],
      }),
    );
    recorder.failNext = 1;
    const message: WorkMessage = { kind: "event", tenantId: tenant, eventId: "m1" };
    const [first, junk, badTask] = await rt.consume([message, { kind: "mystery" }, {
      kind: "task",
      tenantId: tenant,
      taskId: "nope.task",
      slot: "2026-11-24T00:00:00.000Z",
    }]);
    expect(logs.errors().map((r) => r.msg).sort()).toEqual([
      "contentUpdated failed in plugin recorder",
      "dropped a queue message of unknown shape",
    ]);
    expect(first).toMatchObject({ ack: false });
    // The first retry waits its 30 s step plus up to half of it again (jittered, never sooner).
    expect((first as { retryDelaySeconds?: number }).retryDelaySeconds).toBeGreaterThanOrEqual(30);
    expect((first as { retryDelaySeconds?: number }).retryDelaySeconds).toBeLessThanOrEqual(45);
    expect(junk).toEqual({ ack: true });
    expect(badTask!.ack === true || typeof (badTask as { error?: string }).error === "string").toBe(true);
    expect(await rt.consume([message])).toEqual([{ ack: true }]);
    expect(recorder.seen.map((s) => s.hook)).toEqual(["contentUpdated", "contentUpdated"]);
  });
});
