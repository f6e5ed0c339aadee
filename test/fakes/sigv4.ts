/**
 * An independent AWS Signature Version 4 verifier (node:crypto), written from AWS's
 * documentation rather than from aws4fetch, so the fakes check what S3 and CloudFront check:
 * the credential scope, the clock skew (15 minutes), the signed headers, the payload hash and
 * the signature itself.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { RecordedRequest } from "./server.ts";

export interface SigV4Expectation {
  accessKeyId: string;
  secretAccessKey: string;
  service: string;
  region: string;
  /** The server's clock (ms). */
  now: number;
}

export type SigV4Verdict = { ok: true } | { ok: false; code: string; message: string };

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalUri(rawPath: string, service: string): string {
  const segments = rawPath.split("/").map((s) => decodeURIComponent(s));
  // S3 encodes each segment once; every other service encodes the (already encoded) path again.
  return service === "s3" ? segments.map(uriEncode).join("/") : segments.map((s) => uriEncode(uriEncode(s))).join("/");
}

function canonicalQuery(search: string): string {
  const pairs = [...new URLSearchParams(search)].map(([k, v]) => [uriEncode(k), uriEncode(v)] as const);
  pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

export function verifySigV4(req: RecordedRequest, expect: SigV4Expectation): SigV4Verdict {
  const header = req.headers.authorization;
  const match = typeof header === "string" ? AUTH.exec(header) : null;
  if (!match) return { ok: false, code: "AccessDenied", message: "Missing or malformed Authorization header" };
  const [, akid, date, region, service, signedHeaderList, signature] = match;
  if (akid !== expect.accessKeyId) {
    return { ok: false, code: "InvalidAccessKeyId", message: "The AWS Access Key Id you provided does not exist" };
  }
  if (region !== expect.region || service !== expect.service) {
    return {
      ok: false,
      code: "AuthorizationHeaderMalformed",
      message: `scope must be ${expect.region}/${expect.service}`,
    };
  }
  const amzDate = req.headers["x-amz-date"];
  if (typeof amzDate !== "string" || !/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date) {
    return { ok: false, code: "AccessDenied", message: "x-amz-date missing or not matching the credential scope" };
  }
  const signedAt = Date.UTC(
    +amzDate.slice(0, 4),
    +amzDate.slice(4, 6) - 1,
    +amzDate.slice(6, 8),
    +amzDate.slice(9, 11),
    +amzDate.slice(11, 13),
    +amzDate.slice(13, 15),
  );
  if (Math.abs(signedAt - expect.now) > 15 * 60_000) {
    return {
      ok: false,
      code: "RequestTimeTooSkewed",
      message: "The difference between the request time and the current time is too large.",
    };
  }
  const signedHeaders = signedHeaderList!.split(";");
  for (const required of ["host", "x-amz-date", ...(expect.service === "s3" ? ["x-amz-content-sha256"] : [])]) {
    if (!signedHeaders.includes(required)) {
      return { ok: false, code: "AccessDenied", message: `${required} must be signed` };
    }
  }
  let payloadHash = sha256(req.body);
  if (expect.service === "s3") {
    const declared = req.headers["x-amz-content-sha256"];
    if (declared !== "UNSIGNED-PAYLOAD" && declared !== payloadHash) {
      return {
        ok: false,
        code: "XAmzContentSHA256Mismatch",
        message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
      };
    }
    payloadHash = String(declared);
  }
  const url = new URL(req.url, "http://placeholder");
  const canonicalHeaders = signedHeaders.map((name) => {
    const value = req.headers[name];
    const text = Array.isArray(value) ? value.join(",") : String(value ?? "");
    return `${name}:${text.trim().replace(/\s+/g, " ")}\n`;
  }).join("");
  const canonicalRequest = [
    req.method,
    canonicalUri(url.pathname, expect.service),
    canonicalQuery(url.search),
    canonicalHeaders,
    signedHeaderList,
    payloadHash,
  ].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256(canonicalRequest)}`;
  const key = hmac(hmac(hmac(hmac(`AWS4${expect.secretAccessKey}`, date!), region!), service!), "aws4_request");
  const expected = hmac(key, stringToSign);
  if (!timingSafeEqual(expected, Buffer.from(signature!, "hex"))) {
    return {
      ok: false,
      code: "SignatureDoesNotMatch",
      message: "The request signature we calculated does not match the signature you provided.",
    };
  }
  return { ok: true };
}

export function awsErrorXml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>FAKE</RequestId></Error>`;
}
