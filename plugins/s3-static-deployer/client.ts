/**
 * S3 (PutObject, DeleteObject) and CloudFront (CreateInvalidation) over the shared HTTP client,
 * each attempt signed with AWS Signature V4 by aws4fetch. Errors carry the service's error
 * `Code` (AccessDenied, NoSuchBucket, TooManyInvalidationsInProgress, …).
 */
import { AwsClient } from "aws4fetch";
import type { HttpClient, HttpResult } from "@dvp/kernel/client";

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export class AwsRequestError extends Error {
  constructor(readonly operation: string, readonly status: number, readonly awsCode: string | null, message: string) {
    super(message);
    this.name = "AwsRequestError";
  }
}

function failure(operation: string, result: Extract<HttpResult, { success: false }>): AwsRequestError {
  const code = /<Code>([^<]+)<\/Code>/.exec(result.body ?? "")?.[1] ?? null;
  const message = /<Message>([^<]+)<\/Message>/.exec(result.body ?? "")?.[1];
  const detail = code ? `HTTP ${result.status} ${code}${message ? `: ${message}` : ""}` : result.error;
  return new AwsRequestError(operation, result.status, code, `${operation} failed: ${detail}`);
}

/** `YYYYMMDDTHHMMSSZ` from the kernel's clock, so signatures follow the injected time. */
function amzDate(now: number): string {
  return new Date(now).toISOString().replace(/[:-]|\.\d{3}/g, "");
}

async function sha256Hex(data: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function signer(aws: AwsClient, now: () => number) {
  return (url: URL, init: RequestInit) => aws.sign(url.href, { ...init, aws: { datetime: amzDate(now()) } });
}

export interface S3Location {
  bucket: string;
  region: string;
  /** S3-compatible endpoint (path-style); absent: AWS S3. */
  endpoint?: string;
}

/** The object's URL: virtual-hosted on AWS (path-style for dotted bucket names), path-style on custom endpoints. */
export function objectUrl(location: S3Location, key: string): URL {
  const encodedKey = key.split("/").map(encodeRfc3986).join("/");
  if (location.endpoint) {
    const base = location.endpoint.replace(/\/+$/, "");
    return new URL(`${base}/${location.bucket}/${encodedKey}`);
  }
  if (location.bucket.includes(".")) {
    return new URL(`https://s3.${location.region}.amazonaws.com/${location.bucket}/${encodedKey}`);
  }
  return new URL(`https://${location.bucket}.s3.${location.region}.amazonaws.com/${encodedKey}`);
}

function encodeRfc3986(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export class S3Client {
  readonly #aws: AwsClient;
  constructor(
    private readonly http: HttpClient,
    credentials: AwsCredentials,
    private readonly location: S3Location,
    private readonly now: () => number,
  ) {
    this.#aws = new AwsClient({ ...credentials, service: "s3", region: location.region, retries: 0 });
  }

  /** PutObject with the payload's SHA-256 signed in (so S3 rejects a body altered in transit). */
  async putObject(
    key: string,
    body: string,
    headers: { contentType: string; cacheControl?: string; metadata?: Record<string, string> },
    signal?: AbortSignal,
  ): Promise<{ etag: string | null }> {
    // A fresh ArrayBuffer, whatever the platform's types say (Cloudflare's: ArrayBufferLike).
    const bytes = new TextEncoder().encode(body) as Uint8Array<ArrayBuffer>;
    const sent: Record<string, string> = {
      "content-type": headers.contentType,
      "x-amz-content-sha256": await sha256Hex(bytes),
    };
    if (headers.cacheControl) sent["cache-control"] = headers.cacheControl;
    for (const [k, v] of Object.entries(headers.metadata ?? {})) sent[`x-amz-meta-${k}`] = v;
    const result = await this.http.request({
      url: objectUrl(this.location, key),
      method: "PUT",
      headers: sent,
      body: bytes,
      responseType: "none",
      sign: signer(this.#aws, this.now),
      signal,
    });
    if (!result.success) throw failure("S3 PutObject", result);
    return { etag: result.headers.get("etag") };
  }

  /** DeleteObject; S3 answers 204 whether or not the key existed. */
  async deleteObject(key: string, signal?: AbortSignal): Promise<void> {
    const result = await this.http.request({
      url: objectUrl(this.location, key),
      method: "DELETE",
      headers: { "x-amz-content-sha256": await sha256Hex(new Uint8Array()) },
      responseType: "none",
      sign: signer(this.#aws, this.now),
      signal,
    });
    if (!result.success) throw failure("S3 DeleteObject", result);
  }
}

export const CLOUDFRONT_ENDPOINT = "https://cloudfront.amazonaws.com";

export class CloudFrontClient {
  readonly #aws: AwsClient;
  constructor(
    private readonly http: HttpClient,
    credentials: AwsCredentials,
    private readonly now: () => number,
    private readonly endpoint: string = CLOUDFRONT_ENDPOINT,
  ) {
    // CloudFront is a global service: signed for us-east-1.
    this.#aws = new AwsClient({ ...credentials, service: "cloudfront", region: "us-east-1", retries: 0 });
  }

  /**
   * CreateInvalidation (API 2020-05-31). The same `callerReference` with the same paths returns
   * the existing invalidation, so a retried batch is not invalidated (or billed) twice.
   */
  async createInvalidation(
    distributionId: string,
    paths: string[],
    callerReference: string,
    signal?: AbortSignal,
  ): Promise<{ id: string | null; status: string | null }> {
    const items = paths.map((p) => `<Path>${escapeXml(p)}</Path>`).join("");
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n` +
      `<InvalidationBatch xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">` +
      `<Paths><Quantity>${paths.length}</Quantity><Items>${items}</Items></Paths>` +
      `<CallerReference>${escapeXml(callerReference)}</CallerReference></InvalidationBatch>`;
    const result = await this.http.request<string>({
      url: `${this.endpoint.replace(/\/+$/, "")}/2020-05-31/distribution/${
        encodeURIComponent(distributionId)
      }/invalidation`,
      method: "POST",
      headers: { "content-type": "application/xml" },
      body,
      responseType: "text",
      sign: signer(this.#aws, this.now),
      signal,
    });
    if (!result.success) throw failure("CloudFront CreateInvalidation", result);
    return {
      id: /<Id>([^<]+)<\/Id>/.exec(result.data)?.[1] ?? null,
      status: /<Status>([^<]+)<\/Status>/.exec(result.data)?.[1] ?? null,
    };
  }
}

/** A viewer path as CloudFront wants it: URL-encoded (a literal `*` too, so it is not a wildcard). */
export function invalidationPath(path: string): string {
  return path.split("/").map((s) => encodeRfc3986(safeDecode(s))).join("/");
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
