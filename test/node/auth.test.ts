/**
 * Admin JWT verification against a real JWKS served by a local HTTP server (127.0.0.1, port 0),
 * fetched by jose's own fetch: the asymmetric algorithms, algorithm confusion, key substitution,
 * an unreachable or slow JWKS, and the claim checks at their edges.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AdminAuth,
  AuthError,
  AuthUnavailableError,
  canAccess,
  createAdminAuth,
  DEFAULT_AUDIENCE,
  DEFAULT_ISSUER,
  signAdminToken,
} from "../../src/http/auth.ts";
import { b64url, rawHs256 } from "../suites/admin-fixtures.ts";
import { respelled } from "./token-spelling.ts";

const ISSUER = "https://idp.example/";
const AUDIENCE = "dvp-admin-api";
const TENANT = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
const NOW = Date.UTC(2026, 2, 1, 12);
const SECS = NOW / 1000;
const CLAIMS = { tenants: [TENANT], iss: ISSUER, aud: AUDIENCE, sub: "ops", exp: SECS + 600 };

let server: Server;
let base: string;
let keys: JWK[] = [];
let mode: "ok" | "500" | "slow" | "html" = "ok";
let hits = 0;
const signers: Record<string, CryptoKey> = {};
let rsaPem = "";
let rsaJwk: JWK;

beforeAll(async () => {
  for (const [kid, alg] of [["rs", "RS256"], ["ps", "PS256"], ["es", "ES256"], ["ed", "EdDSA"]] as const) {
    const pair = await generateKeyPair(alg, { extractable: true });
    signers[kid] = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid, alg, use: "sig" };
    keys.push(jwk);
    if (kid === "rs") {
      rsaPem = await exportSPKI(pair.publicKey);
      rsaJwk = jwk;
    }
  }
  server = createServer((req, res) => {
    hits++;
    if (req.url !== "/.well-known/jwks.json") return void res.writeHead(404).end();
    if (mode === "500") return void res.writeHead(500).end("down");
    if (mode === "html") return void res.writeHead(200, { "content-type": "text/html" }).end("<html>");
    const send = () => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys }));
    if (mode === "slow") setTimeout(send, 1500);
    else send();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function auth(extra: Partial<Parameters<typeof createAdminAuth>[0]> = {}): AdminAuth {
  return createAdminAuth({
    jwksUrl: `${base}/.well-known/jwks.json`,
    allowInsecureUrls: true, // the test JWKS is served over http on loopback
    issuer: ISSUER,
    audience: AUDIENCE,
    now: () => NOW,
    jwksTimeoutMs: 500,
    ...extra,
  });
}

const sign = (kid: string, alg: string, claims: object = CLAIMS) =>
  new SignJWT({ ...claims }).setProtectedHeader({ alg, kid }).sign(signers[kid]!);

async function refusal(verifier: AdminAuth, token: string): Promise<Error> {
  try {
    await verifier.verify(token);
  } catch (error) {
    return error as Error;
  }
  throw new Error("the token was accepted");
}

describe("admin JWT with a JWKS from a local server", () => {
  it("accepts RS256, PS256, ES256 and EdDSA tokens from the JWKS, fetched once by jose", async () => {
    mode = "ok";
    hits = 0;
    const verifier = auth();
    for (const [kid, alg] of [["rs", "RS256"], ["ps", "PS256"], ["es", "ES256"], ["ed", "EdDSA"]] as const) {
      const principal = await verifier.verify(await sign(kid, alg));
      expect(principal).toEqual({ subject: "ops", tenants: [TENANT] });
    }
    expect(hits).toBe(1);
  });

  it("refuses HS256 tokens MACed with the public key (PEM, JWK JSON, modulus): algorithm confusion", async () => {
    mode = "ok";
    const verifier = auth();
    for (const secret of [rsaPem, JSON.stringify(rsaJwk), rsaJwk.n!, `${rsaPem}\n`]) {
      for (const header of [{ alg: "HS256", kid: "rs" }, { alg: "HS256" }]) {
        const error = await refusal(verifier, await rawHs256(secret, header, CLAIMS));
        expect(error).toBeInstanceOf(AuthError);
        expect(error.message).toBe("token algorithm is not allowed");
      }
    }
  });

  it("refuses HS256 even when the JWKS itself serves a symmetric key", async () => {
    mode = "ok";
    const oct = new TextEncoder().encode("a-symmetric-key-someone-published-0123");
    keys.push({ kty: "oct", kid: "oct", k: b64url(oct) });
    try {
      const error = await refusal(auth(), await rawHs256(oct, { alg: "HS256", kid: "oct" }, CLAIMS));
      expect(error).toBeInstanceOf(AuthError);
    } finally {
      keys = keys.filter((k) => k.kid !== "oct");
    }
  });

  it("refuses key substitution: a kid of the JWKS with another key's signature, a relabelled alg, alg none", async () => {
    mode = "ok";
    const verifier = auth();
    const stranger = await generateKeyPair("RS256");
    const forged = await new SignJWT(CLAIMS).setProtectedHeader({ alg: "RS256", kid: "rs" }).sign(stranger.privateKey);
    expect((await refusal(verifier, forged)).message).toBe("token signature is invalid");
    const embedded = await new SignJWT(CLAIMS)
      .setProtectedHeader({ alg: "RS256", jwk: await exportJWK(stranger.publicKey) })
      .sign(stranger.privateKey);
    expect(await refusal(verifier, embedded)).toBeInstanceOf(AuthError);
    const [head, body, sig] = (await sign("rs", "RS256")).split(".");
    const relabelled = `${b64url(JSON.stringify({ alg: "PS256", kid: "rs" }))}.${body}.${sig}`;
    expect(await refusal(verifier, relabelled)).toBeInstanceOf(AuthError);
    const none = `${b64url(JSON.stringify({ alg: "none" }))}.${body}.`;
    expect(await refusal(verifier, none)).toBeInstanceOf(AuthError);
    expect(head).toBeTruthy();
  });

  it("checks iss, aud, exp (required) and nbf with the clock tolerance", async () => {
    mode = "ok";
    const verifier = auth({ clockToleranceSeconds: 30 });
    const { exp: _exp, ...noExp } = CLAIMS;
    expect((await refusal(verifier, await sign("es", "ES256", noExp))).message).toBe('token claim "exp" is required');
    expect(await refusal(verifier, await sign("es", "ES256", { ...CLAIMS, iss: "https://evil.example/" })))
      .toBeInstanceOf(AuthError);
    expect(await refusal(verifier, await sign("es", "ES256", { ...CLAIMS, aud: ["other-api"] }))).toBeInstanceOf(
      AuthError,
    );
    expect((await refusal(verifier, await sign("es", "ES256", { ...CLAIMS, exp: SECS - 31 }))).message).toBe(
      "token expired",
    );
    await expect(verifier.verify(await sign("es", "ES256", { ...CLAIMS, exp: SECS - 29 }))).resolves.toBeTruthy();
    expect((await refusal(verifier, await sign("es", "ES256", { ...CLAIMS, nbf: SECS + 31 }))).message).toBe(
      "token is not yet valid",
    );
    await expect(verifier.verify(await sign("es", "ES256", { ...CLAIMS, nbf: SECS + 29 }))).resolves.toBeTruthy();
    // An audience list that includes ours is fine (RFC 7519 §4.1.3).
    await expect(verifier.verify(await sign("es", "ES256", { ...CLAIMS, aud: ["x", AUDIENCE] }))).resolves
      .toBeTruthy();
  });

  it("a JWKS that fails, is slow or is not JSON is 'unavailable' (503), not a bad token", async () => {
    for (const m of ["500", "slow", "html"] as const) {
      mode = m;
      const error = await refusal(auth(), await sign("rs", "RS256"));
      expect(error).toBeInstanceOf(AuthUnavailableError);
      expect(error.message).toMatch(m === "slow" ? /did not answer in time/ : /could not be loaded/);
    }
    mode = "ok";
    const closed = createAdminAuth({
      jwksUrl: "http://127.0.0.1:1/jwks.json",
      allowInsecureUrls: true,
      issuer: ISSUER,
      audience: AUDIENCE,
      now: () => NOW,
    });
    expect(await refusal(closed, await sign("rs", "RS256"))).toBeInstanceOf(AuthUnavailableError);
  });

  it("uses the given fetch (jose's customFetch) when there is one", async () => {
    mode = "ok";
    const seen: string[] = [];
    const verifier = auth({
      fetch: (input, init) => {
        seen.push(String(input));
        return fetch(input, init);
      },
    });
    await verifier.verify(await sign("ed", "EdDSA"));
    expect(seen).toEqual([`${base}/.well-known/jwks.json`]);
  });
});

describe("admin JWT with the shared secret", () => {
  const SECRET = "node-auth-test-secret-0123456789abcdef";
  const verifier = createAdminAuth({ secret: SECRET, now: () => NOW });

  it("signAdminToken and createAdminAuth agree on the default issuer and audience", async () => {
    const token = await signAdminToken(SECRET, { tenants: [TENANT.toUpperCase()], subject: "me", now: NOW });
    const [, payload] = token.split(".");
    const claims = JSON.parse(atob(payload!.replace(/-/g, "+").replace(/_/g, "/")));
    expect(claims).toMatchObject({ iss: DEFAULT_ISSUER, aud: DEFAULT_AUDIENCE, sub: "me", exp: SECS + 3600 });
    const principal = await verifier.verify(token);
    expect(principal).toEqual({ subject: "me", tenants: [TENANT] });
    expect(canAccess(principal, TENANT.toUpperCase())).toBe(true);
    expect(canAccess(principal, "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb")).toBe(false);
    expect(canAccess({ subject: "p", tenants: "*" }, "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb")).toBe(true);
  });

  it("refuses oversized, empty and RS-signed tokens before or during verification", async () => {
    expect((await refusal(verifier, "a".repeat(9000))).message).toBe("token is too long");
    expect((await refusal(verifier, "")).message).toBe("token is missing");
    const rs = await sign("rs", "RS256", { ...CLAIMS, iss: DEFAULT_ISSUER, aud: DEFAULT_AUDIENCE });
    expect((await refusal(verifier, rs)).message).toBe("token algorithm is not allowed");
  });

  it("refuses a signature spelled with its spare bits set (one token, one spelling)", async () => {
    const token = await signAdminToken(SECRET, { tenants: "*", now: NOW });
    await verifier.verify(token);
    const other = respelled(token);
    expect(other).not.toBe(token);
    expect((await refusal(verifier, other)).message).toBe("token is malformed");
  });
});
