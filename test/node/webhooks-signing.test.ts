import { describe, expect, it } from "vitest";
import {
  checkWebhookHeaders,
  MAX_SIGNATURES,
  signWebhook,
  timingSafeEqual,
  verifyWebhook,
  WebhookVerificationError,
} from "../../src/http/standard-webhooks.ts";

// The specification's published test vector.
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS = 1614265330;
const PAYLOAD = '{"test": 2432232314}';
const EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const NOW = TS * 1000;

const headers = (signature: string, id = ID, ts = String(TS)) => ({
  "webhook-id": id,
  "webhook-timestamp": ts,
  "webhook-signature": signature,
});

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError);
    return (error as WebhookVerificationError).code;
  }
  throw new Error("expected a refusal");
}

describe("Standard Webhooks signing", () => {
  it("signs the published test vector, with and without the whsec_ prefix", async () => {
    expect(await signWebhook(SECRET, ID, TS, PAYLOAD)).toBe(EXPECTED);
    expect(await signWebhook(SECRET.slice(6), ID, TS, PAYLOAD)).toBe(EXPECTED);
    expect(await signWebhook(SECRET, ID, new Date(NOW), new TextEncoder().encode(PAYLOAD))).toBe(EXPECTED);
  });

  it("verifies the vector and returns id and timestamp", async () => {
    expect(await verifyWebhook(SECRET, headers(EXPECTED), PAYLOAD, { now: NOW })).toEqual({ id: ID, timestamp: TS });
    expect(await verifyWebhook(SECRET.slice(6), new Headers(headers(EXPECTED)), PAYLOAD, { now: NOW })).toEqual({
      id: ID,
      timestamp: TS,
    });
  });

  it("accepts any valid v1 entry in a space-separated list and skips other versions", async () => {
    const other = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    const list = `v1a,${EXPECTED.slice(3)} ${other}  ${EXPECTED}`;
    expect((await verifyWebhook(SECRET, headers(list), PAYLOAD, { now: NOW })).id).toBe(ID);
    expect(await refusal(verifyWebhook(SECRET, headers(`v1a,${EXPECTED.slice(3)}`), PAYLOAD, { now: NOW }))).toBe(
      "ERR_WEBHOOK_SIGNATURE",
    );
  });

  it("costs one HMAC per secret however many signatures are listed, and refuses an oversized list", async () => {
    const random = () => `v1,${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
    const full = [...Array.from({ length: MAX_SIGNATURES - 1 }, random), EXPECTED].join(" ");
    const subtle = crypto.subtle as { sign: SubtleCrypto["sign"] };
    const sign = subtle.sign.bind(crypto.subtle);
    let hmacs = 0;
    subtle.sign = (...args: Parameters<SubtleCrypto["sign"]>) => (hmacs++, sign(...args));
    try {
      expect((await verifyWebhook(SECRET, headers(full), PAYLOAD, { now: NOW })).id).toBe(ID);
      expect(hmacs).toBe(1);
    } finally {
      subtle.sign = sign;
    }
    const tooMany = [...Array.from({ length: MAX_SIGNATURES }, random), EXPECTED].join(" ");
    expect(await refusal(verifyWebhook(SECRET, headers(tooMany), PAYLOAD, { now: NOW }))).toBe("ERR_WEBHOOK_SIGNATURE");
  });

  it("accepts rotation: any of several secrets", async () => {
    const old = "whsec_" + btoa("x".repeat(32));
    expect((await verifyWebhook([old, SECRET], headers(EXPECTED), PAYLOAD, { now: NOW })).id).toBe(ID);
    expect(await refusal(verifyWebhook([old], headers(EXPECTED), PAYLOAD, { now: NOW }))).toBe("ERR_WEBHOOK_SIGNATURE");
  });

  it("refuses another body, a garbled or padded signature, and missing headers", async () => {
    const opts = { now: NOW };
    expect(await refusal(verifyWebhook(SECRET, headers(EXPECTED), '{"test": 2432232315}', opts))).toBe(
      "ERR_WEBHOOK_SIGNATURE",
    );
    for (const bad of [EXPECTED + "=", EXPECTED.replace("=", ""), EXPECTED + "AA", "v1,!!!", "v1,", "garbage", ","]) {
      expect(await refusal(verifyWebhook(SECRET, headers(bad), PAYLOAD, opts))).toBe("ERR_WEBHOOK_SIGNATURE");
    }
    expect(await refusal(verifyWebhook(SECRET, { "webhook-id": ID }, PAYLOAD, opts))).toBe("ERR_WEBHOOK_HEADERS");
    expect(await refusal(verifyWebhook(SECRET, headers(""), PAYLOAD, opts))).toBe("ERR_WEBHOOK_HEADERS");
  });

  it("refuses timestamps beyond ±300 s and non-numeric ones, accepts the edges", async () => {
    for (const offset of [301, -301, 600, -600]) {
      expect(await refusal(verifyWebhook(SECRET, headers(EXPECTED), PAYLOAD, { now: NOW + offset * 1000 }))).toBe(
        "ERR_WEBHOOK_TIMESTAMP",
      );
    }
    for (const offset of [300, -300]) {
      expect((await verifyWebhook(SECRET, headers(EXPECTED), PAYLOAD, { now: NOW + offset * 1000 })).id).toBe(ID);
    }
    for (const ts of ["abc", "1614265330.0", "1e9", "-1614265330", " 1614265330"]) {
      expect(await refusal(verifyWebhook(SECRET, headers(EXPECTED, ID, ts), PAYLOAD, { now: NOW }))).toBe(
        "ERR_WEBHOOK_TIMESTAMP",
      );
    }
  });

  it("checks the signature over the timestamp as sent (a leading zero is part of the signed text)", async () => {
    const raw = Uint8Array.from(atob(SECRET.slice(6)), (c) => c.charCodeAt(0));
    const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const text = new TextEncoder().encode(`${ID}.0${TS}.${PAYLOAD}`);
    const signed = `v1,${btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.sign("HMAC", key, text))))}`;
    expect(await verifyWebhook(SECRET, headers(signed, ID, `0${TS}`), PAYLOAD, { now: NOW })).toEqual({
      id: ID,
      timestamp: TS,
    });
    expect(await refusal(verifyWebhook(SECRET, headers(EXPECTED, ID, `0${TS}`), PAYLOAD, { now: NOW }))).toBe(
      "ERR_WEBHOOK_SIGNATURE",
    );
  });

  it("refuses an id containing the separator", async () => {
    // "msg.1614265330" + "." + … would otherwise be ambiguous with another id/timestamp split.
    expect(() => checkWebhookHeaders({ id: "msg.x", timestamp: String(TS), signature: EXPECTED }, { now: NOW }))
      .toThrow(WebhookVerificationError);
    const sig = await signWebhook(SECRET, "a.b", TS, PAYLOAD);
    expect(await refusal(verifyWebhook(SECRET, headers(sig, "a.b"), PAYLOAD, { now: NOW }))).toBe(
      "ERR_WEBHOOK_HEADERS",
    );
  });

  it("compares in constant time over equal lengths", () => {
    expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(timingSafeEqual(new Uint8Array([1]), new Uint8Array([1, 2]))).toBe(false);
  });
});
