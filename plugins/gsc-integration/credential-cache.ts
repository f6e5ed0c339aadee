/**
 * What a service account yields, cached in this isolate only: the imported signing key and the
 * access token. Every entry is keyed by tenant and a SHA-256 of the whole account (email, key
 * id, key, token URI), so no value a tenant chooses reaches another tenant's entry, and a
 * rotated key or a changed token URI is a new entry. Tokens stay out of storage: there they
 * would sit unsealed, and an isolate exchanging its own once an hour costs one request.
 */
import { base64url } from "jose";
import type { ServiceAccount } from "./auth.ts";

const MAX_ENTRIES = 1_000;

/** A bounded map: the oldest entry goes first. */
export class BoundedCache<V> {
  readonly #entries = new Map<string, V>();
  get(id: string): V | undefined {
    return this.#entries.get(id);
  }
  set(id: string, value: V): void {
    this.#entries.delete(id);
    if (this.#entries.size >= MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(id, value);
  }
  delete(id: string): void {
    this.#entries.delete(id);
  }
}

/** `tenant` and the digest of everything in the account that the key or the token depends on. */
export async function credentialId(tenantId: string, account: ServiceAccount): Promise<string> {
  const whole = JSON.stringify([
    account.client_email,
    account.private_key_id ?? null,
    account.private_key,
    account.token_uri,
  ]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(whole)));
  return `${tenantId}\0${base64url.encode(digest)}`;
}
