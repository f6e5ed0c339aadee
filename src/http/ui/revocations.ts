/**
 * Signed-out dashboard sessions. The session cookie is the admin JWT itself, so clearing the
 * cookie alone would leave a copy of it (a stolen cookie, a shared machine) valid until `exp`.
 * Sign-out stores a revocation under a SHA-256 of the token, kept in KV until the token expires,
 * and every dashboard request and sign-in checks it.
 *
 * Consistency: the isolate that signed out remembers the revocation and refuses the token at
 * once. Other isolates read it from KV: at once on Deno KV and memory; on Cloudflare KV, which is
 * eventually consistent, after up to ~60 s (its propagation time). A revocation list is
 * read-mostly and written once per sign-out, which is what KV is good at; the window is the
 * documented price. The admin API (bearer tokens, not cookies) does not consult it.
 */
import { bytesToBase64Url, utf8 } from "../../crypto/base64.ts";
import type { KVDriver } from "../../store/driver.ts";
import { keys } from "../../store/keys.ts";
import { decodeJwt } from "jose";

/** Cloudflare KV's shortest TTL. */
const MIN_TTL_SECONDS = 60;
const MAX_LOCAL = 10_000;

export class SessionRevocations {
  /** Revoked here, by token digest, with the token's expiry (ms). */
  readonly #local = new Map<string, number>();

  constructor(private readonly driver: KVDriver, private readonly now: () => number) {}

  async revoke(token: string): Promise<void> {
    const id = await digest(token);
    const expiresAt = expiryMs(token) ?? this.now() + 12 * 3_600_000;
    if (this.#local.size >= MAX_LOCAL) {
      for (const [k, until] of this.#local) if (until <= this.now()) this.#local.delete(k);
      if (this.#local.size >= MAX_LOCAL) this.#local.delete(this.#local.keys().next().value!);
    }
    this.#local.set(id, expiresAt);
    const ttlSeconds = Math.max(MIN_TTL_SECONDS, Math.ceil((expiresAt - this.now()) / 1000));
    await this.driver.put(keys.revokedSession(id), String(expiresAt), { ttlSeconds });
  }

  async isRevoked(token: string): Promise<boolean> {
    const id = await digest(token);
    if ((this.#local.get(id) ?? 0) > this.now()) return true;
    return (await this.driver.get(keys.revokedSession(id))) !== null;
  }
}

async function digest(token: string): Promise<string> {
  return bytesToBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", utf8.encode(token))));
}

function expiryMs(token: string): number | null {
  try {
    const exp = decodeJwt(token).exp;
    return typeof exp === "number" ? exp * 1000 : null;
  } catch {
    return null;
  }
}
