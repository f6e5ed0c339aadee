/**
 * Fake S3 (path-style: /{bucket}/{key}) and CloudFront (CreateInvalidation), both verifying
 * SigV4 independently and answering with AWS's documented XML bodies and errors. Injected
 * failures (`failNext`) are answered only to requests that are otherwise valid, so a malformed
 * request is still caught while a failure is queued.
 */
import type { ServerResponse } from "node:http";
import { awsErrorXml, verifySigV4 } from "./sigv4.ts";
import { type FakeServer, type RecordedRequest, startFakeServer } from "./server.ts";

export interface AwsFakeOptions {
  accessKeyId: string;
  secretAccessKey: string;
  /** The fake's clock (ms), for the skew check. */
  now: () => number;
}

export interface StoredObject {
  body: string;
  headers: Record<string, string>;
}

export interface FakeS3 extends FakeServer {
  /** `bucket/key` → object. */
  objects: Map<string, StoredObject>;
  failNext: { status: number; code: string; headers?: Record<string, string> }[];
}

function xml(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/xml", ...headers });
  res.end(body);
}

export async function startFakeS3(options: AwsFakeOptions & { region: string; buckets: string[] }): Promise<FakeS3> {
  const objects = new Map<string, StoredObject>();
  const failNext: FakeS3["failNext"] = [];
  const server = await startFakeServer((req: RecordedRequest, res) => {
    const verdict = verifySigV4(req, { ...options, service: "s3", region: options.region, now: options.now() });
    if (!verdict.ok) return xml(res, 403, awsErrorXml(verdict.code, verdict.message));
    const path = new URL(req.url, "http://x").pathname;
    const [, bucket, ...keyParts] = path.split("/");
    const key = keyParts.map(decodeURIComponent).join("/");
    if (!options.buckets.includes(bucket!)) {
      return xml(res, 404, awsErrorXml("NoSuchBucket", "The specified bucket does not exist"));
    }
    if (req.method !== "PUT" && req.method !== "DELETE") {
      return xml(
        res,
        405,
        awsErrorXml("MethodNotAllowed", "The specified method is not allowed against this resource."),
      );
    }
    if (key === "") return xml(res, 400, awsErrorXml("InvalidRequest", "An object key is required."));
    const failure = failNext.shift();
    if (failure) return xml(res, failure.status, awsErrorXml(failure.code, "injected failure"), failure.headers);
    if (req.method === "PUT") {
      const headers: Record<string, string> = {};
      for (const name of ["content-type", "cache-control"]) headers[name] = String(req.headers[name] ?? "");
      for (const [name, value] of Object.entries(req.headers)) {
        if (name.startsWith("x-amz-meta-")) headers[name] = String(value);
      }
      objects.set(`${bucket}/${key}`, { body: req.body.toString("utf8"), headers });
      res.writeHead(200, { etag: `"${objects.size}"` });
      return res.end();
    }
    if (req.method === "DELETE") {
      objects.delete(`${bucket}/${key}`);
      res.writeHead(204);
      return res.end();
    }
  });
  return Object.assign(server, { objects, failNext });
}

/** CloudFront's documented limit of paths in one invalidation batch. */
export const MAX_INVALIDATION_PATHS = 3000;

export interface FakeCloudFront extends FakeServer {
  /** Invalidations created, in order (a repeated CallerReference creates none). */
  invalidations: { id: string; distributionId: string; paths: string[]; callerReference: string }[];
  /** Requests answered with an earlier invalidation because their CallerReference was seen before. */
  repeats: { id: string; callerReference: string }[];
  /**
   * Failures for the next valid requests. `afterCreate`: the invalidation is created first and the
   * failure answered instead of it, as when CloudFront acted but the response was lost.
   */
  failNext: { status: number; code: string; headers?: Record<string, string>; afterCreate?: boolean }[];
  /** Awaited after an invalidation is created and before it is answered (a concurrent writer's moment). */
  beforeAnswer?: () => unknown;
}

export async function startFakeCloudFront(
  options: AwsFakeOptions & { distributions: string[] },
): Promise<FakeCloudFront> {
  const invalidations: FakeCloudFront["invalidations"] = [];
  const repeats: FakeCloudFront["repeats"] = [];
  const failNext: FakeCloudFront["failNext"] = [];
  const hooks: Pick<FakeCloudFront, "beforeAnswer"> = {};
  const server = await startFakeServer(async (req, res) => {
    const verdict = verifySigV4(req, { ...options, service: "cloudfront", region: "us-east-1", now: options.now() });
    if (!verdict.ok) return xml(res, 403, errorResponse(verdict.code, verdict.message));
    const match = /^\/2020-05-31\/distribution\/([A-Z0-9]+)\/invalidation$/.exec(req.url);
    if (!match || req.method !== "POST") return xml(res, 404, errorResponse("NotFound", "unknown operation"));
    if (!options.distributions.includes(match[1]!)) {
      return xml(res, 404, errorResponse("NoSuchDistribution", "The specified distribution does not exist."));
    }
    const body = req.body.toString("utf8");
    const quantity = Number(/<Paths>\s*<Quantity>(\d+)<\/Quantity>/.exec(body)?.[1]);
    const paths = [...body.matchAll(/<Path>([^<]*)<\/Path>/g)].map((m) => m[1]!);
    const callerReference = /<CallerReference>([^<]+)<\/CallerReference>/.exec(body)?.[1];
    if (
      !/^<\?xml[^>]*\?>\s*<InvalidationBatch xmlns="http:\/\/cloudfront.amazonaws.com\/doc\/2020-05-31\/">/.test(body)
    ) {
      return xml(res, 400, errorResponse("MalformedXML", "not an InvalidationBatch"));
    }
    if (!callerReference || quantity !== paths.length || paths.length === 0 || paths.some((p) => !p.startsWith("/"))) {
      return xml(res, 400, errorResponse("InvalidArgument", "Quantity, Paths or CallerReference invalid"));
    }
    if (paths.length > MAX_INVALIDATION_PATHS) {
      return xml(res, 413, errorResponse("BatchTooLarge", "Invalidation batch specified is too large."));
    }
    if (paths.some((p) => p.includes("*") && p.indexOf("*") !== p.length - 1)) {
      return xml(res, 400, errorResponse("InvalidArgument", "A wildcard (*) must be the last character of a path."));
    }
    const failure = failNext.shift();
    if (failure && !failure.afterCreate) {
      return xml(res, failure.status, errorResponse(failure.code, "injected failure"), failure.headers);
    }
    // As CloudFront documents: a CallerReference seen before returns the earlier invalidation when
    // the paths are the same (nothing is invalidated again) and is refused when they differ.
    const existing = invalidations.find((i) => i.callerReference === callerReference);
    if (existing) {
      if (existing.paths.join("\n") !== paths.join("\n")) {
        return xml(
          res,
          400,
          errorResponse(
            "InvalidationBatchAlreadyExists",
            "The CallerReference is already in use by another invalidation with other paths.",
          ),
        );
      }
      repeats.push({ id: existing.id, callerReference });
      if (failure) return xml(res, failure.status, errorResponse(failure.code, "injected failure"), failure.headers);
      return xml(res, 201, invalidationXml(existing.id, existing.paths, callerReference));
    }
    const id = `I${String(invalidations.length + 1).padStart(12, "0")}`;
    invalidations.push({ id, distributionId: match[1]!, paths, callerReference });
    await hooks.beforeAnswer?.();
    if (failure) return xml(res, failure.status, errorResponse(failure.code, "injected failure"), failure.headers);
    xml(res, 201, invalidationXml(id, paths, callerReference), {
      location: `https://cloudfront.amazonaws.com/2020-05-31/distribution/${match[1]}/invalidation/${id}`,
    });
  });
  return Object.defineProperty(Object.assign(server, { invalidations, repeats, failNext }), "beforeAnswer", {
    get: () => hooks.beforeAnswer,
    set: (f: FakeCloudFront["beforeAnswer"]) => (hooks.beforeAnswer = f),
  }) as FakeCloudFront;
}

function errorResponse(code: string, message: string): string {
  return `<?xml version="1.0"?>\n<ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>FAKE</RequestId></ErrorResponse>`;
}

function invalidationXml(id: string, paths: string[], reference: string): string {
  return `<?xml version="1.0"?>\n<Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>${id}</Id><Status>InProgress</Status><CreateTime>2026-01-01T00:00:00Z</CreateTime><InvalidationBatch><Paths><Quantity>${paths.length}</Quantity><Items>${
    paths.map((p) => `<Path>${p}</Path>`).join("")
  }</Items></Paths><CallerReference>${reference}</CallerReference></InvalidationBatch></Invalidation>`;
}
