import { afterEach, describe, expect, it } from "vitest";
import { pageLocation, S3StaticDeployerPlugin } from "../../plugins/s3-static-deployer/index.ts";
import { CONFIG_SCHEMA } from "../../plugins/s3-static-deployer/config.ts";
import { validate } from "../../src/schema/index.ts";
import { type FakeCloudFront, type FakeS3, startFakeCloudFront, startFakeS3 } from "../fakes/aws.ts";
import { verifySigV4 } from "../fakes/sigv4.ts";
import { benchFor, instantRetries, TENANT } from "./helpers.ts";

const CREDS = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
const SECRETS = { access_key_id: CREDS.accessKeyId, secret_access_key: CREDS.secretAccessKey };
const START = Date.parse("2026-11-20T12:00:00Z");

let s3: FakeS3 | undefined;
let cf: FakeCloudFront | undefined;
afterEach(async () => {
  await s3?.close();
  await cf?.close();
  s3 = cf = undefined;
});

async function setup(config: Record<string, unknown> = {}, secrets: Record<string, string> = SECRETS) {
  const clock = { now: START };
  s3 = await startFakeS3({ ...CREDS, now: () => clock.now, region: "eu-west-1", buckets: ["site-bucket"] });
  cf = await startFakeCloudFront({ ...CREDS, now: () => clock.now, distributions: ["E2QWRUHAPOMQZL"] });
  const plugin = new S3StaticDeployerPlugin({
    allowInsecureUrls: true,
    http: instantRetries,
    cloudFrontEndpoint: cf.url,
  });
  const full: Record<string, unknown> = {
    bucket: "site-bucket",
    region: "eu-west-1",
    endpoint: s3.url,
    distribution_id: "E2QWRUHAPOMQZL",
    key_prefix: "sites/",
    cache_control: "public, max-age=60",
    ...config,
  };
  for (const [k, v] of Object.entries(full)) if (v === null) delete full[k];
  const bench = await benchFor(plugin, full, secrets, clock);
  return { bench, s3, cf };
}

const page = (path: string, html = `<h1>${path}</h1>`) => ({ domain: "acme.com", path, rendered_html: html });

describe("s3-static-deployer", () => {
  it("PUTs rendered_html SigV4-signed with content type and cache control, and batches the invalidation", async () => {
    const { bench, s3, cf } = await setup();
    const { outcomes } = await bench.publish("c1", page("/blog/post"));
    expect(outcomes[0]).toMatchObject({ status: "ok" });
    const stored = s3.objects.get("site-bucket/sites/acme.com/blog/post/index.html");
    expect(stored).toEqual({
      body: "<h1>/blog/post</h1>",
      headers: {
        "content-type": "text/html; charset=utf-8",
        "cache-control": "public, max-age=60",
        "x-amz-meta-content-id": "c1",
      },
    });
    expect(s3.requests[0]!.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/20261120\/eu-west-1\/s3\/aws4_request/,
    );
    expect(cf.invalidations).toHaveLength(0); // waits for the minute
    expect(await bench.runTask()).toMatchObject({ success: true, data: { invalidated: 1, status: "InProgress" } });
    expect(cf.invalidations[0]).toMatchObject({ distributionId: "E2QWRUHAPOMQZL", paths: ["/blog/post"] });
  });

  it("sends a burst of publishes as one invalidation", async () => {
    const { bench, cf } = await setup();
    await bench.publish("c1", page("/a"));
    await bench.publish("c2", page("/b/"));
    await bench.kernel.dispatch(TENANT, "contentUpdated", ["c3", page("/a")]);
    await bench.publish("c4", page("/"));
    expect(await bench.runTask()).toMatchObject({ success: true, data: { invalidated: 3 } });
    expect(cf.invalidations).toHaveLength(1);
    expect(cf.invalidations[0]!.paths.sort()).toEqual(["/", "/a", "/b/"]);
    expect(await bench.runTask()).toMatchObject({ success: true, data: { invalidated: 0 } });
    expect(cf.invalidations).toHaveLength(1);
  });

  it("flushes at once when the batch is full", async () => {
    const { bench, cf } = await setup({ invalidation_batch_size: 2 });
    await bench.publish("c1", page("/a"));
    expect(cf.invalidations).toHaveLength(0);
    await bench.publish("c2", page("/b"));
    expect(cf.invalidations).toHaveLength(1);
    expect(cf.invalidations[0]!.paths).toEqual(["/a", "/b"]);
  });

  it("invalidates per change when batching is off", async () => {
    const { bench, cf } = await setup({ batch_invalidations: false });
    await bench.publish("c1", page("/a"));
    await bench.publish("c2", page("/b"));
    expect(cf.invalidations.map((i) => i.paths)).toEqual([["/a"], ["/b"]]);
  });

  it("skips CloudFront without a distribution id", async () => {
    const { bench, cf } = await setup({ distribution_id: null });
    expect((await bench.publish("c1", page("/a"))).outcomes[0]!.status).toBe("ok");
    expect(await bench.runTask()).toMatchObject({ success: true, data: { invalidated: 0 } });
    expect(cf.requests).toHaveLength(0);
  });

  it("DELETEs the object on contentDeleted and invalidates its path", async () => {
    const { bench, s3, cf } = await setup();
    await bench.publish("c1", page("/gone"));
    expect(s3.objects.size).toBe(1);
    const { outcomes } = await bench.kernel.dispatch(TENANT, "contentDeleted", ["c1", page("/gone")]);
    expect(outcomes[0]!.status).toBe("ok");
    expect(s3.objects.size).toBe(0);
    await bench.runTask();
    expect(cf.invalidations[0]!.paths).toEqual(["/gone"]);
  });

  it("signs non-ASCII keys correctly and encodes the invalidation path", async () => {
    const { bench, s3, cf } = await setup();
    expect((await bench.publish("c1", page("/café/naïve post"))).outcomes[0]!.status).toBe("ok");
    expect(s3.objects.has("site-bucket/sites/acme.com/café/naïve post/index.html")).toBe(true);
    await bench.runTask();
    expect(cf.invalidations[0]!.paths).toEqual(["/caf%C3%A9/na%C3%AFve%20post"]);
  });

  it("a wrong secret key fails with SignatureDoesNotMatch and is not retried", async () => {
    const { bench, s3 } = await setup({}, { ...SECRETS, secret_access_key: "not-the-right-secret-key" });
    const { outcomes } = await bench.publish("c1", page("/a"));
    expect(outcomes[0]).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/HTTP 403 SignatureDoesNotMatch/),
    });
    expect(s3.requests).toHaveLength(1);
    expect(bench.lines.join("\n")).not.toContain("not-the-right-secret-key");
  });

  it("a skewed clock is refused as RequestTimeTooSkewed (the fake checks the signed date)", async () => {
    const { bench } = await setup();
    await s3!.close();
    // The kernel signs with its clock (START); this S3 lives 20 minutes later.
    s3 = await startFakeS3({ ...CREDS, now: () => START + 20 * 60_000, region: "eu-west-1", buckets: ["site-bucket"] });
    await bench.kernel.setConfig(TENANT, "s3-static-deployer", {
      bucket: "site-bucket",
      region: "eu-west-1",
      endpoint: s3.url,
    });
    const { outcomes } = await bench.publish("c1", page("/a"));
    expect(outcomes[0]).toMatchObject({ status: "failed", error: expect.stringMatching(/RequestTimeTooSkewed/) });
  });

  it("retries S3 500 and 503 SlowDown, then succeeds", async () => {
    const { bench, s3 } = await setup();
    s3.failNext.push({ status: 500, code: "InternalError" }, {
      status: 503,
      code: "SlowDown",
      headers: { "retry-after": "1" },
    });
    expect((await bench.publish("c1", page("/a"))).outcomes[0]!.status).toBe("ok");
    expect(s3.requests).toHaveLength(3);
    expect(s3.objects.size).toBe(1);
  });

  it("reports NoSuchBucket (404) without retrying", async () => {
    const { bench, s3 } = await setup({ bucket: "missing-bucket" });
    const { outcomes } = await bench.publish("c1", page("/a"));
    expect(outcomes[0]).toMatchObject({ status: "failed", error: expect.stringMatching(/404 NoSuchBucket/) });
    expect(s3.requests).toHaveLength(1);
  });

  it("keeps pending paths when CloudFront refuses (TooManyInvalidationsInProgress) and sends them next minute", async () => {
    const { bench, cf } = await setup();
    await bench.publish("c1", page("/a"));
    cf.failNext.push({ status: 400, code: "TooManyInvalidationsInProgress" });
    expect(await bench.runTask()).toMatchObject({
      success: false,
      errorMessage: expect.stringMatching(/TooManyInvalidationsInProgress/),
    });
    bench.clock.now += 60_000;
    expect(await bench.runTask()).toMatchObject({ success: true, data: { invalidated: 1 } });
    expect(cf.invalidations[0]!.paths).toEqual(["/a"]);
  });

  it("rejects content without rendered_html or with a traversal path", async () => {
    const { bench, s3 } = await setup();
    expect((await bench.publish("c1", { domain: "acme.com", path: "/a" })).outcomes[0]).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/rendered_html/),
    });
    expect((await bench.publish("c2", page("/../../etc"))).outcomes[0]).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/\.\./),
    });
    expect(s3.requests).toHaveLength(0);
  });
});

describe("s3-static-deployer keys", () => {
  const config = validate(CONFIG_SCHEMA, { bucket: "b", key_prefix: "p/" }).value as never;
  it("maps paths to index documents and keeps file paths", () => {
    expect(pageLocation(config, { domain: "Acme.com", path: "/" })).toEqual({
      key: "p/acme.com/index.html",
      path: "/",
    });
    expect(pageLocation(config, { domain: "acme.com", path: "/a/b/" })).toEqual({
      key: "p/acme.com/a/b/index.html",
      path: "/a/b/",
    });
    expect(pageLocation(config, { domain: "acme.com", path: "/feed.xml?x=1" })).toEqual({
      key: "p/acme.com/feed.xml",
      path: "/feed.xml",
    });
    expect(() => pageLocation(config, { domain: "../x", path: "/" })).toThrow(/host name/);
  });
});

describe("SigV4 verifier of the fakes", () => {
  it("accepts AWS's documented GET Object example (independent of aws4fetch)", () => {
    const verdict = verifySigV4({
      method: "GET",
      url: "/test.txt",
      headers: {
        host: "examplebucket.s3.amazonaws.com",
        range: "bytes=0-9",
        "x-amz-content-sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "x-amz-date": "20130524T000000Z",
        authorization:
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
      },
      body: Buffer.alloc(0),
    }, { ...CREDS, service: "s3", region: "us-east-1", now: Date.parse("2013-05-24T00:00:00Z") });
    expect(verdict).toEqual({ ok: true });
  });
});
