/**
 * Signed-out admin tokens. The dashboard's session cookie is the admin JWT itself, so clearing
 * the cookie alone would leave a copy of it (a stolen cookie, a shared machine) valid until
 * `exp`. Sign-out stores a revocation, kept in KV until the token expires; every dashboard
 * request, sign-in and admin API request checks it.
 *
 * The revocation is keyed on what was signed (`header.payload`), never on the token's text: the
 * last base64url character of a signature carries bits that decoding drops, so one token has
 * several spellings that all verify, and a digest of the whole text would tell them apart.
 * (Tokens carry no `jti` to key on; for HS256 and for JWKS-signed tokens alike, the signed part
 * names the token.)
 *
 * Cost and consistency. Each isolate keeps the revocations it knows (until the token's `exp`)
 * and, for a token it found not revoked, skips KV for RECHECK_MS: one KV read per token per
 * isolate per minute, none on the warm path. The isolate that signed out refuses the token at
 * once; another isolate sees it within RECHECK_MS on Deno KV and memory, and on Cloudflare KV
 * within its own propagation time (~60 s) on top. A revocation list is read-mostly and written
 * once per sign-out, which is what KV is good at; the window is the documented price.
 */
import { BoundedMap } from "../cache/bounded-map.ts";
import { bytesToBase64Url, utf8 } from "../crypto/base64.ts";
import type { KVDriver } from "../store/driver.ts";
import { keys } from "../store/keys.ts";
import { decodeJwt } from "jose";

/** Cloudflare KV's shortest TTL. */
const MIN_TTL_SECONDS = 60;
/** How long a token found not revoked is trusted before KV is read again. */
export const RECHECK_MS = 60_000;
const MAX_LOCAL = 10_000;

export class SessionRevocations {
  /** Known revocations: token id → the token's expiry (ms). */
  readonly #revoked = new BoundedMap<string, number>(MAX_LOCAL);
  /** Tokens found not revoked: token id → when to read KV again (ms). */
  readonly #clear = new BoundedMap<string, number>(MAX_LOCAL);

  constructor(private readonly driver: KVDriver, private readonly now: () => number) {}

  async revoke(token: string): Promise<void> {
    const id = await tokenId(token);
    const expiresAt = expiryMs(token) ?? this.now() + 12 * 3_600_000;
    this.#clear.delete(id);
    remember(this.#revoked, id, expiresAt, this.now());
    const ttlSeconds = Math.max(MIN_TTL_SECONDS, Math.ceil((expiresAt - this.now()) / 1000));
    await this.driver.put(keys.revokedSession(id), String(expiresAt), { ttlSeconds });
  }

  /** Whether the token was signed out. Call it after the token is verified (never a KV read for a forged one). */
  async isRevoked(token: string): Promise<boolean> {
    const id = await tokenId(token);
    const now = this.now();
    if ((this.#revoked.get(id) ?? 0) > now) return true;
    if ((this.#clear.get(id) ?? 0) > now) return false;
    const stored = await this.driver.get(keys.revokedSession(id));
    if (stored !== null) {
      remember(this.#revoked, id, Number(stored) || expiryMs(token) || now + RECHECK_MS, now);
      return true;
    }
    remember(this.#clear, id, now + RECHECK_MS, now);
    return false;
  }
}

const shared = new WeakMap<KVDriver, SessionRevocations>();

/** The isolate's one list per storage, so the dashboard and the admin API share what they learn. */
export function revocationsFor(driver: KVDriver, now: () => number): SessionRevocations {
  let list = shared.get(driver);
  if (!list) shared.set(driver, list = new SessionRevocations(driver, now));
  return list;
}

/** SHA-256 of the signed part (`header.payload`), base64url. */
export async function tokenId(token: string): Promise<string> {
  const signed = token.slice(0, Math.max(0, token.lastIndexOf(".")));
  const bytes = await crypto.subtle.digest("SHA-256", utf8.encode(`dvp-revocation\0${signed}`));
  return bytesToBase64Url(new Uint8Array(bytes));
}

/** Full, the entries already past go before the oldest live one does. */
function remember(map: BoundedMap<string, number>, id: string, until: number, now: number): void {
  if (map.size >= map.max) { for (const [k, u] of map) if (u <= now) map.delete(k); }
  map.set(id, until);
}

function expiryMs(token: string): number | null {
  try {
    const exp = decodeJwt(token).exp;
    return typeof exp === "number" ? exp * 1000 : null;
  } catch {
    return null;
  }
}
