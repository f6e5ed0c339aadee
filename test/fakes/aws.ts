/**
 * Fake S3 (path-style: /{bucket}/{key}) and CloudFront (CreateInvalidation), both verifying
 * SigV4 independently and answering with AWS's documented XML bodies and errors.
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
    const failure = failNext.shift();
    if (failure) return xml(res, failure.status, awsErrorXml(failure.code, "injected failure"), failure.headers);
    const path = new URL(req.url, "http://x").pathname;
    const [, bucket, ...keyParts] = path.split("/");
    const key = keyParts.map(decodeURIComponent).join("/");
    if (!options.buckets.includes(bucket!)) {
      return xml(res, 404, awsErrorXml("NoSuchBucket", "The specified bucket does not exist"));
    }
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
    xml(res, 405, awsErrorXml("MethodNotAllowed", "The specified method is not allowed against this resource."));
  });
  return Object.assign(server, { objects, failNext });
}

export interface FakeCloudFront extends FakeServer {
  invalidations: { id: string; distributionId: string; paths: string[]; callerReference: string }[];
  failNext: { status: number; code: string; headers?: Record<string, string> }[];
}

export async function startFakeCloudFront(
  options: AwsFakeOptions & { distributions: string[] },
): Promise<FakeCloudFront> {
  const invalidations: FakeCloudFront["invalidations"] = [];
  const failNext: FakeCloudFront["failNext"] = [];
  const server = await startFakeServer((req, res) => {
    const verdict = verifySigV4(req, { ...options, service: "cloudfront", region: "us-east-1", now: options.now() });
    if (!verdict.ok) return xml(res, 403, errorResponse(verdict.code, verdict.message));
    const match = /^\/2020-05-31\/distribution\/([A-Z0-9]+)\/invalidation$/.exec(req.url);
    if (!match || req.method !== "POST") return xml(res, 404, errorResponse("NotFound", "unknown operation"));
    if (!options.distributions.includes(match[1]!)) {
      return xml(res, 404, errorResponse("NoSuchDistribution", "The specified distribution does not exist."));
    }
    const failure = failNext.shift();
    if (failure) return xml(res, failure.status, errorResponse(failure.code, "injected failure"), failure.headers);
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
    const existing = invalidations.find((i) => i.callerReference === callerReference);
    if (existing) {
      if (existing.paths.join() !== paths.join()) {
        return xml(
          res,
          409,
          errorResponse("InvalidationBatchAlreadyExists", "CallerReference reused with other paths"),
        );
      }
      return xml(res, 201, invalidationXml(existing.id, paths, callerReference));
    }
    const id = `I${String(invalidations.length + 1).padStart(12, "0")}`;
    invalidations.push({ id, distributionId: match[1]!, paths, callerReference });
    xml(res, 201, invalidationXml(id, paths, callerReference), {
      location: `https://cloudfront.amazonaws.com/2020-05-31/distribution/${match[1]}/invalidation/${id}`,
    });
  });
  return Object.assign(server, { invalidations, failNext });
}

function errorResponse(code: string, message: string): string {
  return `<?xml version="1.0"?>\n<ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>FAKE</RequestId></ErrorResponse>`;
}

function invalidationXml(id: string, paths: string[], reference: string): string {
  return `<?xml version="1.0"?>\n<Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>${id}</Id><Status>InProgress</Status><CreateTime>2026-01-01T00:00:00Z</CreateTime><InvalidationBatch><Paths><Quantity>${paths.length}</Quantity><Items>${
    paths.map((p) => `<Path>${p}</Path>`).join("")
  }</Items></Paths><CallerReference>${reference}</CallerReference></InvalidationBatch></Invalidation>`;
}
