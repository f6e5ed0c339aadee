/**
 * Standard Webhooks (https://www.standardwebhooks.com) signing and verification with WebCrypto
 * only. The signature is HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed with the
 * base64-decoded part of a `whsec_…` secret, sent as `v1,<base64>`; the header may carry several
 * space-separated signatures (secret rotation): any valid `v1` passes, other versions are skipped.
 * The `svix-id`/`svix-timestamp`/`svix-signature` names are accepted too (see readWebhookHeaders).
 */
import { BoundedMap } from "../cache/bounded-map.ts";
import { base64ToBytes, bytesToBase64, utf8 } from "../crypto/base64.ts";
import { KernelError } from "../errors.ts";

export type WebhookVerificationCode =
  | "ERR_WEBHOOK_HEADERS"
  | "ERR_WEBHOOK_TIMESTAMP"
  | "ERR_WEBHOOK_SIGNATURE"
  | "ERR_WEBHOOK_SECRET";

/** Why a delivery was refused. The HTTP layer answers every code with the same 401. */
export class WebhookVerificationError extends KernelError {
  declare readonly code: WebhookVerificationCode;
  constructor(code: WebhookVerificationCode, message: string) {
    super(code, message);
    this.name = "WebhookVerificationError";
  }
}

export interface WebhookHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

export interface VerifyOptions {
  /** The clock, ms since the epoch (default Date.now). */
  now?: number;
  /** Allowed distance between the timestamp and now, in seconds (default 300). */
  toleranceSeconds?: number;
}

/** Ids: visible ASCII without `.` (the separator of the signed content), at most 255 characters. */
const ID_PATTERN = /^[\x21-\x2d\x2f-\x7e]{1,255}$/;
const TIMESTAMP_PATTERN = /^[0-9]{1,12}$/;
const SIGNATURE_BYTES = 32;
/** Entries accepted in one webhook-signature header (rotation needs two or three). */
export const MAX_SIGNATURES = 16;

// Importing a key costs more than the HMAC itself: keep the keys of recently seen secrets.
const keyCache = new BoundedMap<string, Promise<CryptoKey>>(1000);

/** The HMAC key of a `whsec_…` secret (prefix optional). Throws ERR_WEBHOOK_SECRET when it is not base64. */
export function webhookKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (key) return key;
  const raw = base64ToBytes(secret.startsWith("whsec_") ? secret.slice(6) : secret);
  if (!raw || raw.length === 0) {
    return Promise.reject(new WebhookVerificationError("ERR_WEBHOOK_SECRET", "webhook secret is not base64"));
  }
  key = crypto.subtle.importKey("raw", raw as Uint8Array<ArrayBuffer>, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
    "verify",
  ]);
  keyCache.set(secret, key);
  return key;
}

function signedContent(id: string, timestamp: string, payload: string | Uint8Array): Uint8Array<ArrayBuffer> {
  const prefix = utf8.encode(`${id}.${timestamp}.`);
  const body = typeof payload === "string" ? utf8.encode(payload) : payload;
  const out = new Uint8Array(prefix.length + body.length);
  out.set(prefix, 0);
  out.set(body, prefix.length);
  return out;
}

async function hmac(secret: string | CryptoKey, content: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const key = typeof secret === "string" ? await webhookKey(secret) : secret;
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, content));
}

/**
 * The `webhook-signature` value for one delivery: `v1,<base64>`.
 * `timestamp` is in seconds since the epoch (a Date is converted).
 */
export async function signWebhook(
  secret: string,
  id: string,
  timestamp: number | Date,
  payload: string | Uint8Array,
): Promise<string> {
  const ts = typeof timestamp === "number" ? Math.floor(timestamp) : Math.floor(timestamp.getTime() / 1000);
  return `v1,${bytesToBase64(await hmac(secret, signedContent(id, String(ts), payload)))}`;
}

/** The three headers of a signed delivery, ready for fetch. */
export async function webhookHeaders(
  secret: string,
  id: string,
  timestamp: number | Date,
  payload: string | Uint8Array,
): Promise<WebhookHeaders> {
  const ts = typeof timestamp === "number" ? Math.floor(timestamp) : Math.floor(timestamp.getTime() / 1000);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(ts),
    "webhook-signature": await signWebhook(secret, id, ts, payload),
  };
}

/**
 * Header values read from a Headers object or a plain record (missing → null). Standard Webhooks
 * allows the `svix-` prefix in place of `webhook-` (Svix's libraries send it): one set is read,
 * never a mix, `webhook-*` whenever any of its headers is there.
 */
export function readWebhookHeaders(headers: Headers | Record<string, string | undefined>): {
  id: string | null;
  timestamp: string | null;
  signature: string | null;
} {
  const get = (name: string) =>
    headers instanceof Headers ? headers.get(name) : (headers[name] ?? headers[name.toLowerCase()] ?? null);
  const read = (prefix: string) => ({
    id: get(`${prefix}-id`),
    timestamp: get(`${prefix}-timestamp`),
    signature: get(`${prefix}-signature`),
  });
  const standard = read("webhook");
  if (standard.id !== null || standard.timestamp !== null || standard.signature !== null) return standard;
  const svix = read("svix");
  return svix.id !== null || svix.timestamp !== null || svix.signature !== null ? svix : standard;
}

/**
 * Checks the headers' shape and the timestamp's freshness, before the body is read or any key is
 * looked up (cheap refusals first). Returns the parsed timestamp in seconds.
 */
export function checkWebhookHeaders(
  headers: { id: string | null; timestamp: string | null; signature: string | null },
  options: VerifyOptions = {},
): { id: string; timestamp: number; timestampText: string; signatures: Uint8Array[] } {
  const { id, timestamp, signature } = headers;
  if (!id || !timestamp || !signature) {
    throw new WebhookVerificationError(
      "ERR_WEBHOOK_HEADERS",
      "webhook-id, webhook-timestamp and webhook-signature (or svix-id, svix-timestamp, svix-signature) are required",
    );
  }
  if (!ID_PATTERN.test(id)) throw new WebhookVerificationError("ERR_WEBHOOK_HEADERS", "webhook-id is malformed");
  if (!TIMESTAMP_PATTERN.test(timestamp)) {
    throw new WebhookVerificationError("ERR_WEBHOOK_TIMESTAMP", "webhook-timestamp must be integer seconds");
  }
  const ts = Number(timestamp);
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - ts) > (options.toleranceSeconds ?? 300)) {
    throw new WebhookVerificationError("ERR_WEBHOOK_TIMESTAMP", "webhook-timestamp is outside the tolerance");
  }
  const entries = signature.split(" ");
  // Each listed signature costs a comparison, not an HMAC (see matchesAny), but an unauthenticated
  // sender still must not make one request arbitrarily expensive: rotation needs two or three.
  if (entries.length > MAX_SIGNATURES) {
    throw new WebhookVerificationError("ERR_WEBHOOK_SIGNATURE", `more than ${MAX_SIGNATURES} signatures`);
  }
  const signatures: Uint8Array[] = [];
  for (const entry of entries) {
    if (!entry.startsWith("v1,")) continue; // other versions (v1a, …) or empty entries: skipped
    const bytes = base64ToBytes(entry.slice(3));
    // Only canonical padded base64 of exactly 32 bytes is a v1 signature.
    if (bytes && bytes.length === SIGNATURE_BYTES && bytesToBase64(bytes) === entry.slice(3)) signatures.push(bytes);
  }
  if (signatures.length === 0) {
    throw new WebhookVerificationError("ERR_WEBHOOK_SIGNATURE", "no v1 signature in webhook-signature");
  }
  return { id, timestamp: ts, timestampText: timestamp, signatures };
}

/** Compares two byte strings in time that depends only on their length. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/**
 * Verifies a delivery against one or several secrets (`whsec_…` strings or imported keys).
 * Resolves to the id and timestamp, or rejects with a WebhookVerificationError.
 */
export async function verifyWebhook(
  secrets: string | CryptoKey | readonly (string | CryptoKey)[],
  headers: Headers | Record<string, string | undefined>,
  payload: string | Uint8Array,
  options: VerifyOptions = {},
): Promise<{ id: string; timestamp: number }> {
  const checked = checkWebhookHeaders(readWebhookHeaders(headers), options);
  const list = Array.isArray(secrets) ? secrets : [secrets as string | CryptoKey];
  if (!(await matchesAny(list, checked, payload))) {
    throw new WebhookVerificationError("ERR_WEBHOOK_SIGNATURE", "no signature matches");
  }
  return { id: checked.id, timestamp: checked.timestamp };
}

/**
 * Whether any signature matches any secret. One HMAC per secret (never per listed signature: the
 * list is the sender's and unauthenticated), then a constant-time comparison with every entry;
 * every pair is compared, so the time spent does not tell which secret or which entry matched.
 */
export async function matchesAny(
  secrets: readonly (string | CryptoKey)[],
  checked: { id: string; timestamp: number; timestampText?: string; signatures: Uint8Array[] },
  payload: string | Uint8Array,
): Promise<boolean> {
  // The header's text as sent is what the sender signed (`0170…` and `170…` are the same time, not the same bytes).
  const content = signedContent(checked.id, checked.timestampText ?? String(checked.timestamp), payload);
  let ok = false;
  for (const secret of secrets) {
    let key: CryptoKey;
    try {
      key = typeof secret === "string" ? await webhookKey(secret) : secret;
    } catch (error) {
      if (error instanceof WebhookVerificationError) continue; // an unusable stored secret matches nothing
      throw error;
    }
    const expected = new Uint8Array(await crypto.subtle.sign("HMAC", key, content));
    for (const signature of checked.signatures) ok = timingSafeEqual(expected, signature) || ok;
  }
  return ok;
}
