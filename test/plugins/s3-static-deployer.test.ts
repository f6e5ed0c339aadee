import { afterEach, describe, expect, it } from "vitest";
import { pageLocation, S3StaticDeployerPlugin } from "../../plugins/s3-static-deployer/index.ts";
import { CONFIG_SCHEMA } from "../../plugins/s3-static-deployer/config.ts";
import { CloudFrontClient, S3Client } from "../../plugins/s3-static-deployer/client.ts";
import { createHttpClient } from "../../src/net/http-client.ts";
import { validate } from "../../src/schema/index.ts";
import { type FakeCloudFront, type FakeS3, startFakeCloudFront, startFakeS3 } from "../fakes/aws.ts";
import { verifySigV4 } from "../fakes/sigv4.ts";
import { benchFor, instantRetries, kvOperations, recordingDriver, type StorageCall, TENANT } from "./helpers.ts";

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

async function setup(
  config: Record<string, unknown> = {},
  secrets: Record<string, string> = SECRETS,
  calls?: StorageCall[],
  backend: { compareAndDelete?: boolean } = {},
) {
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
  const bench = await benchFor(plugin, full, secrets, clock, calls && recordingDriver(calls, undefined, backend));
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
    expect(await bench.runTask()).toMatchObject({ success: true, data: { invalidated: 3, status: "InProgress" } });
    expect(cf.invalidations[0]).toMatchObject({ distributionId: "E2QWRUHAPOMQZL" });
    expect(cf.invalidations[0]!.paths.sort()).toEqual(["/blog/post", "/blog/post/", "/blog/post/index.html"]);
  });

  it("sends a burst of publishes as one invalidation", async () => {
    const { bench, cf } = await setup();
    await bench.publish("c1", page("/a"));
    await bench.publish("c2", page("/b/"));
    await bench.kernel.dispatch(TENANT, "contentUpdated", ["c3", page("/a")]);
    await bench.publish("c4", page("/"));
    expect(await bench.runTask()).toMatchObject({ success: true, data: { invalidated: 8 } });
    expect(cf.invalidations).toHaveLength(1);
    expect(cf.invalidations[0]!.paths.sort()).toEqual([
      "/",
      "/a",
      "/a/",
      "/a/index.html",
      "/b",
      "/b/",
      "/b/index.html",
      "/index.html",
    ]);
    expect(await bench.runTask()).toMatchObject({ success: true, data: { invalidated: 0 } });
    expect(cf.invalidations).toHaveLength(1);
  });

  it("flushes at once when the batch is full", async () => {
    const { bench, cf } = await setup({ invalidation_batch_size: 4 });
    await bench.publish("c1", page("/a"));
    expect(cf.invalidations).toHaveLength(0);
    await bench.publish("c2", page("/b.html"));
    expect(cf.invalidations).toHaveLength(1);
    expect(cf.invalidations[0]!.paths.sort()).toEqual(["/a", "/a/", "/a/index.html", "/b.html"]);
  });

  it("invalidates per change when batching is off", async () => {
    const { bench, cf } = await setup({ batch_invalidations: false });
    await bench.publish("c1", page("/a"));
    await bench.publish("c2", page("/b.html"));
    expect(cf.invalidations.map((i) => i.paths)).toEqual([["/a", "/a/", "/a/index.html"], ["/b.html"]]);
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
    expect(cf.invalidations[0]!.paths.sort()).toEqual(["/gone", "/gone/", "/gone/index.html"]);
  });

  it("signs non-ASCII keys correctly and encodes the invalidation path", async () => {
    const { bench, s3, cf } = await setup();
    expect((await bench.publish("c1", page("/café/naïve post"))).outcomes[0]!.status).toBe("ok");
    expect(s3.objects.has("site-bucket/sites/acme.com/café/naïve post/index.html")).toBe(true);
    await bench.runTask();
    expect(cf.invalidations[0]!.paths.sort()).toEqual([
      "/caf%C3%A9/na%C3%AFve%20post",
      "/caf%C3%A9/na%C3%AFve%20post/",
      "/caf%C3%A9/na%C3%AFve%20post/index.html",
    ]);
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
    // S3's SlowDown carries no Retry-After: the client's own backoff paces the retry.
    s3.failNext.push({ status: 500, code: "InternalError" }, { status: 503, code: "SlowDown" });
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
    await bench.publish("c1", page("/a.html"));
    cf.failNext.push({ status: 400, code: "TooManyInvalidationsInProgress" });
    expect(await bench.runTask()).toMatchObject({
      success: false,
      errorMessage: expect.stringMatching(/TooManyInvalidationsInProgress/),
    });
    bench.clock.now += 60_000;
    expect(await bench.runTask()).toMatchObject({ success: true, data: { invalidated: 1 } });
    expect(cf.invalidations[0]!.paths).toEqual(["/a.html"]);
  });

  it("invalidates a page edited twice within the same minute twice (batched)", async () => {
    const { bench, cf } = await setup();
    await bench.publish("c1", page("/a.html", "<h1>first</h1>"));
    expect(await bench.runTask()).toMatchObject({ success: true, data: { invalidated: 1 } });
    await bench.kernel.dispatch(TENANT, "contentUpdated", ["c1", page("/a.html", "<h1>second</h1>")]);
    expect(await bench.runTask()).toMatchObject({ success: true, data: { invalidated: 1 } });
    // CloudFront answers a repeated CallerReference with the earlier invalidation: none may repeat.
    expect(cf.repeats).toEqual([]);
    expect(cf.invalidations.map((i) => i.paths)).toEqual([["/a.html"], ["/a.html"]]);
  });

  it("invalidates a page edited twice in the same instant twice (unbatched)", async () => {
    const { bench, cf } = await setup({ batch_invalidations: false });
    await bench.publish("c1", page("/a.html", "<h1>first</h1>"));
    await bench.kernel.dispatch(TENANT, "contentUpdated", ["c1", page("/a.html", "<h1>second</h1>")]);
    expect(cf.repeats).toEqual([]);
    expect(cf.invalidations).toHaveLength(2);
  });

  it("a retried CreateInvalidation whose first response was lost reuses its reference: one invalidation", async () => {
    const { bench, cf } = await setup();
    await bench.publish("c1", page("/a.html"));
    cf.failNext.push({ status: 500, code: "ServiceUnavailable", afterCreate: true });
    expect(await bench.runTask()).toMatchObject({ success: true, data: { invalidated: 1 } });
    expect(cf.invalidations).toHaveLength(1);
    expect(cf.repeats).toEqual([{
      id: cf.invalidations[0]!.id,
      callerReference: cf.invalidations[0]!.callerReference,
    }]);
    expect(await bench.runTask()).toMatchObject({ success: true, data: { invalidated: 0 } });
  });

  // Workers KV allows 1,000 operations per invocation, the kernel's own included. A flush that
  // read and deleted every pending path (3 operations each, up to 3,000 paths) threw before
  // CreateInvalidation once ~330 were pending, every minute, until the paths expired.
  it("a flush of a large backlog stays within a bound of storage operations and sends the rest next minute", async () => {
    const calls: StorageCall[] = [];
    const { bench, cf } = await setup({ invalidation_batch_size: 3000 }, SECRETS, calls);
    // CloudFront refuses for a while: every publish from the 100th on tries a flush, and fails.
    for (let i = 99; i < 150; i++) cf.failNext.push({ status: 400, code: "TooManyInvalidationsInProgress" });
    for (let i = 0; i < 150; i++) {
      const { outcomes } = await bench.publish(`c${i}`, page(`/p${String(i).padStart(3, "0")}`)); // 450 paths
      // The page is uploaded and its paths pending: a refused flush does not fail the publish.
      expect(outcomes[0]).toMatchObject({ status: "ok" });
    }
    expect(cf.failNext).toEqual([]);
    expect(cf.invalidations).toHaveLength(0);
    const refused = bench.logs.filter((r) => r.msg === "batch flush failed; the paths stay pending");
    expect(refused).toHaveLength(51);
    expect(refused[0]).toMatchObject({ level: "warn", error: expect.stringMatching(/TooManyInvalidationsInProgress/) });
    const runs: { invalidated: unknown; operations: number }[] = [];
    for (let minute = 0; minute < 3; minute++) {
      calls.length = 0;
      const result = await bench.runTask();
      expect(result.success).toBe(true);
      runs.push({ invalidated: result.data?.invalidated, operations: kvOperations(calls) });
      bench.clock.now += 60_000;
    }
    for (const run of runs) expect(run.operations).toBeLessThanOrEqual(350);
    expect(runs.map((r) => r.invalidated)).toEqual([300, 150, 0]);
    expect(cf.invalidations.flatMap((i) => i.paths)).toHaveLength(450);
    expect(new Set(cf.invalidations.flatMap((i) => i.paths)).size).toBe(450);
  });

  it("a batch size above a flush's bound flushes from a publish at the bound, within it", async () => {
    const calls: StorageCall[] = [];
    const { bench, cf } = await setup({ invalidation_batch_size: 2000 }, SECRETS, calls);
    for (let i = 0; i < 99; i++) await bench.publish(`c${i}`, page(`/p${String(i).padStart(3, "0")}`)); // 297 paths
    expect(cf.invalidations).toHaveLength(0);
    calls.length = 0;
    await bench.publish("c99", page("/p099"));
    expect(cf.invalidations).toHaveLength(1);
    expect(cf.invalidations[0]!.paths).toHaveLength(300);
    expect(kvOperations(calls)).toBeLessThanOrEqual(350);
  });

  it("a path written again while its batch is in flight stays pending for the next batch", async () => {
    const { bench, cf } = await setup();
    await bench.publish("c1", page("/a.html", "<h1>first</h1>"));
    // The edit lands between the flush reading the batch and deleting it.
    cf.beforeAnswer = () => bench.kernel.dispatch(TENANT, "contentUpdated", ["c1", page("/a.html", "<h1>2</h1>")]);
    expect(await bench.runTask()).toMatchObject({ success: true, data: { invalidated: 1 } });
    cf.beforeAnswer = undefined;
    expect(await bench.runTask()).toMatchObject({ success: true, data: { invalidated: 1 } });
    expect(cf.invalidations.map((i) => i.paths)).toEqual([["/a.html"], ["/a.html"]]);
  });

  // Where storage compares and deletes atomically, one read of the batch's tokens (before
  // CreateInvalidation) decides what the flush deletes: no second read afterwards.
  it("with compare-and-delete, a flush reads the batch's tokens once and deletes only unchanged entries", async () => {
    const calls: StorageCall[] = [];
    const { bench, cf } = await setup({}, SECRETS, calls, { compareAndDelete: true });
    await bench.publish("c1", page("/a.html", "<h1>first</h1>"));
    await bench.publish("c2", page("/b.html"));
    calls.length = 0;
    cf.beforeAnswer = () => bench.kernel.dispatch(TENANT, "contentUpdated", ["c1", page("/a.html", "<h1>2</h1>")]);
    expect(await bench.runTask()).toMatchObject({ success: true, data: { invalidated: 2 } });
    cf.beforeAnswer = undefined;
    const pending = (c: StorageCall) => c.keys.some((k) => k.includes(":inval:"));
    expect(calls.filter((c) => c.op === "getMany" && pending(c))).toHaveLength(1);
    expect(calls.filter((c) => c.op === "delete" && pending(c))).toEqual([]);
    const compared = calls.filter((c) => c.op === "deleteIfUnchanged" && pending(c));
    expect(compared.map((c) => c.keys[0]!.split(":inval:")[1]).sort()).toEqual(["%2Fa.html", "%2Fb.html"]);
    // /a.html was written again meanwhile: its entry stays for the next batch, /b.html's is gone.
    expect(await bench.runTask()).toMatchObject({ success: true, data: { invalidated: 1 } });
    expect(cf.invalidations.map((i) => i.paths.sort())).toEqual([["/a.html", "/b.html"], ["/a.html"]]);
  });

  // Without compare-and-delete (Cloudflare KV), a re-read can be a minute stale and checks
  // nothing: the flush reads no tokens and deletes what it sent.
  it("without compare-and-delete, a flush reads no tokens and deletes the entries it sent", async () => {
    const calls: StorageCall[] = [];
    const { bench, cf } = await setup({}, SECRETS, calls);
    await bench.publish("c1", page("/a.html"));
    await bench.publish("c2", page("/b.html"));
    calls.length = 0;
    expect(await bench.runTask()).toMatchObject({ success: true, data: { invalidated: 2 } });
    const pending = (c: StorageCall) => c.keys.some((k) => k.includes(":inval:"));
    expect(calls.filter((c) => c.op !== "list" && c.op !== "delete" && pending(c))).toEqual([]);
    expect(calls.filter((c) => c.op === "delete" && pending(c))).toHaveLength(2);
    expect(await bench.runTask()).toMatchObject({ success: true, data: { invalidated: 0 } });
    expect(cf.invalidations).toHaveLength(1);
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
      paths: ["/", "/index.html"],
    });
    expect(pageLocation(config, { domain: "acme.com", path: "/a/b/" })).toEqual({
      key: "p/acme.com/a/b/index.html",
      path: "/a/b/",
      paths: ["/a/b", "/a/b/", "/a/b/index.html"],
    });
    expect(pageLocation(config, { domain: "acme.com", path: "/a/b" })).toMatchObject({
      key: "p/acme.com/a/b/index.html",
      paths: ["/a/b", "/a/b/", "/a/b/index.html"],
    });
    expect(pageLocation(config, { domain: "acme.com", path: "/feed.xml?x=1" })).toEqual({
      key: "p/acme.com/feed.xml",
      path: "/feed.xml",
      paths: ["/feed.xml"],
    });
    expect(() => pageLocation(config, { domain: "../x", path: "/" })).toThrow(/host name/);
  });
});

describe("the CloudFront and S3 fakes, as unkind as the services", () => {
  const http = createHttpClient({ fetch, allowInsecureUrls: true, retries: 0 });
  const now = () => START;

  it("refuse a reused CallerReference with other paths (400 InvalidationBatchAlreadyExists), repeat it with the same", async () => {
    cf = await startFakeCloudFront({ ...CREDS, now, distributions: ["E2QWRUHAPOMQZL"] });
    const client = new CloudFrontClient(http, CREDS, now, cf.url);
    const first = await client.createInvalidation("E2QWRUHAPOMQZL", ["/a"], "ref-1");
    expect(await client.createInvalidation("E2QWRUHAPOMQZL", ["/a"], "ref-1")).toEqual(first);
    await expect(client.createInvalidation("E2QWRUHAPOMQZL", ["/b"], "ref-1")).rejects.toMatchObject({
      status: 400,
      awsCode: "InvalidationBatchAlreadyExists",
    });
    expect(cf.invalidations).toHaveLength(1);
    expect(cf.repeats).toHaveLength(1);
  });

  it("check a request before answering an injected failure", async () => {
    cf = await startFakeCloudFront({ ...CREDS, now, distributions: ["E2QWRUHAPOMQZL"] });
    cf.failNext.push({ status: 503, code: "ServiceUnavailable" });
    const client = new CloudFrontClient(http, CREDS, now, cf.url);
    await expect(client.createInvalidation("E2QWRUHAPOMQZL", [], "ref-1")).rejects.toMatchObject({
      awsCode: "InvalidArgument",
    });
    const tooMany = Array.from({ length: 3001 }, (_, i) => `/p${i}`);
    await expect(client.createInvalidation("E2QWRUHAPOMQZL", tooMany, "ref-2")).rejects.toMatchObject({
      status: 413,
      awsCode: "BatchTooLarge",
    });
    expect(cf.failNext).toHaveLength(1);

    s3 = await startFakeS3({ ...CREDS, now, region: "eu-west-1", buckets: ["site-bucket"] });
    s3.failNext.push({ status: 503, code: "SlowDown" });
    const store = new S3Client(http, CREDS, { bucket: "missing-bucket", region: "eu-west-1", endpoint: s3.url }, now);
    await expect(store.putObject("k", "x", { contentType: "text/html" })).rejects.toMatchObject({
      awsCode: "NoSuchBucket",
    });
    expect(s3.failNext).toHaveLength(1);
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
