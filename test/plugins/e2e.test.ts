/**
 * End to end through the HTTP API of createRuntime: an operator configures a tenant with the
 * admin API, the CMS sends a signed webhook, the S3 fake receives the object and — on the tick —
 * the CloudFront fake the invalidation; a tick at the GSC task's hour stores Search Console rows.
 * Every outside service is a local fake that verifies what the real one verifies.
 */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GscIntegrationPlugin, loadDaily, loadRows } from "../../plugins/gsc-integration/index.ts";
import { S3StaticDeployerPlugin } from "../../plugins/s3-static-deployer/index.ts";
import { generateMasterKey } from "../../src/crypto/master-keys.ts";
import { signAdminToken } from "../../src/http/auth.ts";
import { createRuntime, type Runtime } from "../../src/runtime.ts";
import { createMemoryDriver } from "../../src/backends/memory.ts";
import { type FakeCloudFront, type FakeS3, startFakeCloudFront, startFakeS3 } from "../fakes/aws.ts";
import { type FakeGoogle, makeServiceAccount, type ServiceAccountFixture, startFakeGoogle } from "../fakes/google.ts";
import { instantRetries } from "./helpers.ts";

const ADMIN_SECRET = "e2e-admin-secret-0123456789abcdef-0123456789";
const TENANT = "0b9e7a52-4c1d-4f3e-9a8b-7c6d5e4f3a2b";
const CREDS = { accessKeyId: "AKIAE2ETESTKEY000001", secretAccessKey: "e2e/secret/access/key/0123456789abcdefghij" };
const SITE = "sc-domain:acme.com";

const clock = { now: Date.parse("2026-11-20T05:58:00Z") };
let s3: FakeS3;
let cf: FakeCloudFront;
let google: FakeGoogle;
let account: ServiceAccountFixture;
let runtime: Runtime;
let gsc: GscIntegrationPlugin;
const background: Promise<unknown>[] = [];

async function api(method: string, path: string, body?: unknown) {
  const token = await signAdminToken(ADMIN_SECRET, { tenants: "*", now: clock.now });
  const response = await runtime.fetch(
    new Request(`http://kernel.test${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

/** A Standard Webhooks delivery, signed here with node:crypto (independently of the kernel's verifier). */
async function webhook(secret: string, id: string, event: unknown) {
  const body = JSON.stringify(event);
  const timestamp = Math.floor(clock.now / 1000);
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return runtime.fetch(
    new Request(`http://kernel.test/v1/webhooks/${TENANT}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "webhook-id": id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": `v1,${signature}`,
        "x-correlation-id": `corr-${id}`,
      },
      body,
    }),
    (work) => void background.push(work),
  );
}

async function settle() {
  while (background.length) await Promise.allSettled(background.splice(0));
}

beforeAll(async () => {
  s3 = await startFakeS3({ ...CREDS, now: () => clock.now, region: "auto", buckets: ["acme-site"] });
  cf = await startFakeCloudFront({ ...CREDS, now: () => clock.now, distributions: ["EDFDVBD6EXAMPLE"] });
  const holder: { account?: ServiceAccountFixture } = {};
  google = await startFakeGoogle({
    account: () => holder.account!,
    sites: [SITE],
    rowsPerDay: 4,
    now: () => clock.now,
  });
  account = holder.account = makeServiceAccount(google.tokenUrl);
  runtime = createRuntime({
    env: {
      DVP_MASTER_KEYS: generateMasterKey("k1"),
      DVP_ADMIN_JWT_SECRET: ADMIN_SECRET,
      DVP_ALLOW_INSECURE_URLS: "true", // the fakes are http://127.0.0.1
      DVP_LOG_LEVEL: "warn",
    },
    driver: createMemoryDriver({ now: () => clock.now }),
    now: () => clock.now,
    logSink: () => {},
    plugins: (settings) => {
      gsc = new GscIntegrationPlugin({
        allowInsecureUrls: settings.allowInsecureUrls,
        apiBaseUrl: google.url,
        http: instantRetries,
      });
      return [
        new S3StaticDeployerPlugin({
          allowInsecureUrls: settings.allowInsecureUrls,
          cloudFrontEndpoint: cf.url,
          http: instantRetries,
        }),
        gsc,
      ];
    },
  });
});

afterAll(async () => {
  await Promise.all([s3?.close(), cf?.close(), google?.close()]);
});

describe("end to end through the HTTP API", () => {
  let webhookSecret = "";

  it("an operator sets the tenant up through the admin API", async () => {
    const created = await api("PUT", `/v1/tenants/${TENANT}`, { slug: "acme", plan: "pro" });
    expect(created.status).toBe(201);
    webhookSecret = created.json.webhook_secret;
    expect(webhookSecret).toMatch(/^whsec_/);

    const s3Config = await api("PUT", `/v1/tenants/${TENANT}/plugins/s3-static-deployer/config`, {
      bucket: "acme-site",
      region: "auto",
      endpoint: s3.url,
      distribution_id: "EDFDVBD6EXAMPLE",
    });
    expect(s3Config).toMatchObject({ status: 200, json: expect.objectContaining({}) });
    expect(
      (await api("PUT", `/v1/tenants/${TENANT}/plugins/s3-static-deployer/secrets`, {
        access_key_id: CREDS.accessKeyId,
        secret_access_key: CREDS.secretAccessKey,
      })).status,
    ).toBe(204);
    expect((await api("POST", `/v1/tenants/${TENANT}/plugins/s3-static-deployer/enable`)).json).toEqual({
      enabled: true,
    });

    expect(
      (await api("PUT", `/v1/tenants/${TENANT}/plugins/gsc-integration/config`, {
        sites: [SITE],
        sync_hour_utc: 6,
        row_limit: 3,
      })).status,
    ).toBe(200);
    expect(
      (await api("PUT", `/v1/tenants/${TENANT}/plugins/gsc-integration/secrets`, {
        service_account_json: account.json,
      })).status,
    ).toBe(204);
    expect((await api("POST", `/v1/tenants/${TENANT}/plugins/gsc-integration/enable`)).json).toEqual({ enabled: true });

    const listed = await api("GET", `/v1/tenants/${TENANT}/plugins`);
    expect(JSON.stringify(listed.json)).not.toContain(CREDS.secretAccessKey);
    expect(JSON.stringify(listed.json)).not.toContain("PRIVATE KEY");
  });

  it("signed webhook in → S3 object out (SigV4 verified by the fake)", async () => {
    const event = {
      type: "content.published",
      timestamp: new Date(clock.now).toISOString(),
      data: {
        content_id: "c-100",
        content: { domain: "acme.com", path: "/launch", page_type: "article", rendered_html: "<h1>Launch</h1>" },
        metadata: {},
      },
    };
    const response = await webhook(webhookSecret, "msg_e2e_1", event);
    expect(response.status).toBe(202);
    await settle();
    expect(s3.objects.get("acme-site/acme.com/launch/index.html")).toMatchObject({
      body: "<h1>Launch</h1>",
      headers: { "content-type": "text/html; charset=utf-8" },
    });
    expect(cf.invalidations).toHaveLength(0); // batched for the minute task

    const duplicate = await webhook(webhookSecret, "msg_e2e_1", event);
    expect(duplicate.status).toBe(200);
    await settle();
    expect(s3.requests.filter((r) => r.method === "PUT")).toHaveLength(1);
  });

  it("a forged webhook is refused and uploads nothing", async () => {
    const response = await webhook(`whsec_${Buffer.alloc(32, 7).toString("base64")}`, "msg_forged", {
      type: "content.published",
      timestamp: new Date(clock.now).toISOString(),
      data: { content_id: "c-evil", content: { domain: "acme.com", path: "/evil", rendered_html: "x" }, metadata: {} },
    });
    expect(response.status).toBe(401);
    await settle();
    expect(s3.objects.has("acme-site/acme.com/evil/index.html")).toBe(false);
  });

  it("tick in → CloudFront invalidation out, then GSC rows stored at the task's hour", async () => {
    clock.now = Date.parse("2026-11-20T06:00:30Z");
    const report = await runtime.tick(new Date(clock.now));
    await settle();
    expect(report.errors).toEqual([]);
    expect(cf.invalidations.map((i) => i.paths.sort())).toEqual([["/launch", "/launch/", "/launch/index.html"]]);

    expect(google.tokensIssued).toBe(1);
    const days = await loadDaily(gsc.storage(TENANT), SITE);
    // 06:00 UTC on the 20th is the 19th in Search Console's Pacific time: the range ends two days before.
    expect(days.map((d) => d.date)).toEqual(["2026-11-15", "2026-11-16", "2026-11-17"]);
    expect(await loadRows(gsc.storage(TENANT), SITE, "2026-11-17")).toHaveLength(4);

    const executions = await api("GET", `/v1/tenants/${TENANT}/executions?limit=20`);
    // Per name, the record of the latest slot (hooks have none: the newest): the minute task's slots
    // missed since the last tick have `skipped` records of their own, written in the same instant
    // on this fake clock, so the order of the list does not tell them from the run.
    const byName: Record<string, { scheduled_time?: string }> = {};
    for (const e of executions.json.executions as { name: string; scheduled_time?: string }[]) {
      const seen = byName[e.name];
      if (!seen || (e.scheduled_time ?? "") > (seen.scheduled_time ?? "")) byName[e.name] = e;
    }
    expect(byName["gsc-integration.daily-sync"]).toMatchObject({
      status: "succeeded",
      data: { rows_processed: 12, sites: { [SITE]: { rows: 12, days: 3 } } },
    });
    expect(byName["s3-static-deployer.flush-invalidations"]).toMatchObject({
      status: "succeeded",
      data: { invalidated: 3 },
    });
    expect(byName.contentPublished).toMatchObject({ status: "succeeded", correlation_id: "corr-msg_e2e_1" });
  });
});
