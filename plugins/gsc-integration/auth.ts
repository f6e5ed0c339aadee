/**
 * Google service-account authentication (OAuth 2.0 JWT bearer grant, RFC 7523): an RS256 JWT
 * signed with the account's key, exchanged at its `token_uri` for an access token, which is
 * cached in this isolate until shortly before it expires (credential-cache.ts).
 */
import { importPKCS8, SignJWT } from "jose";
import { PluginError, upstreamError } from "@dvp/kernel";
import type { HttpClient, SavedUrl } from "@dvp/kernel/client";
import { BoundedCache, credentialId } from "./credential-cache.ts";

export const GSC_SCOPE = "https://www.googleapis.com/auth/webmasters.readonly";
export const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

export interface ServiceAccount {
  client_email: string;
  private_key: string;
  private_key_id?: string;
  token_uri: string;
}

/** Parse and check the pasted key file; messages never quote the key. */
export function parseServiceAccount(json: string): ServiceAccount {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(json) as Record<string, unknown>;
  } catch {
    throw new PluginError("service_account_json is not valid JSON");
  }
  if (parsed.type !== "service_account") throw new PluginError('service_account_json: type must be "service_account"');
  const email = parsed.client_email;
  const key = parsed.private_key;
  if (typeof email !== "string" || !email.includes("@")) {
    throw new PluginError("service_account_json: client_email is missing");
  }
  if (typeof key !== "string" || !key.includes("BEGIN PRIVATE KEY")) {
    throw new PluginError("service_account_json: private_key must be a PKCS#8 PEM key");
  }
  return {
    client_email: email,
    private_key: key,
    ...(typeof parsed.private_key_id === "string" ? { private_key_id: parsed.private_key_id } : {}),
    token_uri: typeof parsed.token_uri === "string" ? parsed.token_uri : "https://oauth2.googleapis.com/token",
  };
}

/** The token_uri of a pasted key file, for the check when it is saved (none when it is not JSON). */
export function serviceAccountUrls(json: unknown): SavedUrl[] {
  try {
    const uri = (JSON.parse(String(json)) as Record<string, unknown>).token_uri;
    return typeof uri === "string" ? [{ path: "/service_account_json", url: uri, name: "token_uri" }] : [];
  } catch {
    return [];
  }
}

interface CachedToken {
  accessToken: string;
  expiresAt: number;
}

const keys = new BoundedCache<Promise<CryptoKey>>();
const tokens = new BoundedCache<CachedToken>();

function signingKey(id: string, account: ServiceAccount): Promise<CryptoKey> {
  let key = keys.get(id);
  if (!key) {
    key = importPKCS8(account.private_key, "RS256").catch((error) => {
      keys.delete(id);
      throw new PluginError(`service_account_json: private_key cannot be imported (${(error as Error).name})`);
    });
    keys.set(id, key);
  }
  return key;
}

export class GoogleTokenProvider {
  #id: Promise<string> | undefined;
  constructor(
    private readonly tenantId: string,
    private readonly account: ServiceAccount,
    private readonly http: HttpClient,
    private readonly now: () => number,
  ) {}

  /** This tenant's entry for this exact account: a rotated key never reuses the old key's token. */
  #cacheId(): Promise<string> {
    return this.#id ??= credentialId(this.tenantId, this.account);
  }

  /** A valid access token, from the cache or freshly exchanged. */
  async accessToken(signal?: AbortSignal): Promise<string> {
    const cached = tokens.get(await this.#cacheId());
    if (cached && cached.expiresAt - 60_000 > this.now()) return cached.accessToken;
    return this.refresh(signal);
  }

  /** Drop the cached token (after a 401) and exchange a new one. */
  async refresh(signal?: AbortSignal): Promise<string> {
    const id = await this.#cacheId();
    tokens.delete(id);
    const iat = Math.floor(this.now() / 1000);
    const assertion = await new SignJWT({ scope: GSC_SCOPE })
      .setProtectedHeader({
        alg: "RS256",
        typ: "JWT",
        ...(this.account.private_key_id ? { kid: this.account.private_key_id } : {}),
      })
      .setIssuer(this.account.client_email)
      .setAudience(this.account.token_uri)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600)
      .sign(await signingKey(id, this.account));
    const result = await this.http.request<{ access_token?: string; expires_in?: number }>({
      url: this.account.token_uri,
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: JWT_BEARER, assertion }).toString(),
      signal,
    });
    if (!result.success) throw upstreamError(`Google token exchange failed: ${result.error}`, result);
    const token = result.data?.access_token;
    if (typeof token !== "string" || !token) throw new PluginError("Google token exchange returned no access_token");
    const expiresIn = typeof result.data?.expires_in === "number" ? result.data.expires_in : 3600;
    tokens.set(id, { accessToken: token, expiresAt: this.now() + expiresIn * 1000 });
    return token;
  }
}
