/**
 * Envelope encryption of secrets (DESIGN §5): AES-256-GCM with a key derived by HKDF-SHA-256
 * from the master key for each (tenant, plugin); a fresh 96-bit nonce per encryption; associated
 * data binding envelope version, key id, tenant and plugin, so a ciphertext moved to another
 * tenant or plugin does not decrypt. Derived keys are cached: a derivation costs ~100 µs.
 *
 * Envelope: `v1.<kid>.<base64url nonce>.<base64url ciphertext+tag>`, canonical base64url only, so
 * no two texts decode to the same bytes and any changed character fails.
 *
 * `scope` is a plugin name, or a kernel scope that no plugin can be named (`@webhook`, with the
 * `@` a plugin slug cannot contain). HKDF info and associated data are JSON arrays, so no
 * combination of tenant, scope and key id can be read as another.
 */
import { BoundedMap } from "../cache/bounded-map.ts";
import { KernelError } from "../errors.ts";
import { bytesToBase64Url, canonicalBase64Url, utf8 } from "./base64.ts";
import type { MasterKeyring } from "./master-keys.ts";

const VERSION = "v1";
const SALT = utf8.encode("dvp-kernel/secrets/v1");

export class SecretBox {
  readonly #ring: MasterKeyring;
  readonly #masters = new Map<string, Promise<CryptoKey>>();
  readonly #derived: BoundedMap<string, Promise<CryptoKey>>;
  /** Opened envelopes, by (tenant, scope, envelope): a warm webhook decrypts nothing. */
  readonly #opened: BoundedMap<string, string> | null;

  /**
   * `maxCachedKeys` bounds the derived keys kept (default 10,000); `maxCachedPlaintexts` the
   * opened envelopes (default 1,000; 0 turns it off). Keeping plaintexts exposes nothing the
   * cached keys do not already open, and an envelope is unique (fresh nonce), so a changed secret
   * is a new entry, never a stale one.
   */
  constructor(ring: MasterKeyring, options: { maxCachedKeys?: number; maxCachedPlaintexts?: number } = {}) {
    this.#ring = ring;
    this.#derived = new BoundedMap(options.maxCachedKeys ?? 10_000);
    const opened = options.maxCachedPlaintexts ?? 1_000;
    this.#opened = opened > 0 ? new BoundedMap(opened) : null;
  }

  get primaryKeyId(): string {
    return this.#ring.primary;
  }

  /** The key id an envelope was sealed with, or null when it is not an envelope. */
  static keyIdOf(envelope: string): string | null {
    const parts = envelope.split(".");
    return parts.length === 4 && parts[0] === VERSION ? parts[1]! : null;
  }

  async encrypt(tenantId: string, plugin: string, plaintext: string): Promise<string> {
    const kid = this.#ring.primary;
    const nonce = crypto.getRandomValues(new Uint8Array(12));
    const key = await this.#key(kid, tenantId, plugin);
    const sealed = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: nonce, additionalData: aad(kid, tenantId, plugin) },
      key,
      utf8.encode(plaintext),
    );
    return `${VERSION}.${kid}.${bytesToBase64Url(nonce)}.${bytesToBase64Url(new Uint8Array(sealed))}`;
  }

  /** The plaintext, or a KernelError("ERR_DECRYPT") naming what failed (never a partial value). */
  async decrypt(tenantId: string, plugin: string, envelope: string): Promise<string> {
    const id = `${tenantId}\0${plugin}\0${envelope}`;
    const hit = this.#opened?.get(id);
    if (hit !== undefined) return hit;
    const plaintext = await this.#open(tenantId, plugin, envelope);
    this.#opened?.set(id, plaintext);
    return plaintext;
  }

  async #open(tenantId: string, plugin: string, envelope: string): Promise<string> {
    const what = plugin.startsWith("@") ? `${plugin.slice(1)} secrets` : `secrets of plugin ${plugin}`;
    const fail = (why: string) =>
      new KernelError("ERR_DECRYPT", `${what} for tenant ${tenantId} cannot be decrypted: ${why}`);
    const parts = typeof envelope === "string" ? envelope.split(".") : [];
    if (parts.length !== 4 || parts[0] !== VERSION) throw fail("not a v1 envelope");
    const [, kid, nonceText, sealedText] = parts as [string, string, string, string];
    if (!this.#ring.keys.has(kid)) {
      throw fail(`unknown key id ${JSON.stringify(kid.slice(0, 40))} (not in DVP_MASTER_KEYS)`);
    }
    const nonce = canonicalBase64Url(nonceText);
    const sealed = canonicalBase64Url(sealedText);
    if (!nonce || nonce.length !== 12 || !sealed || sealed.length < 16) throw fail("malformed envelope");
    try {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: nonce as Uint8Array<ArrayBuffer>, additionalData: aad(kid, tenantId, plugin) },
        await this.#key(kid, tenantId, plugin),
        sealed as Uint8Array<ArrayBuffer>,
      );
      return utf8.decode(plain);
    } catch {
      throw fail("authentication failed (tampered, or stored for another tenant or plugin)");
    }
  }

  /** Whether an envelope is sealed with a key other than the primary one. */
  needsRotation(envelope: string): boolean {
    return SecretBox.keyIdOf(envelope) !== this.#ring.primary;
  }

  #key(kid: string, tenantId: string, plugin: string): Promise<CryptoKey> {
    const id = `${kid}\0${tenantId}\0${plugin}`;
    let key = this.#derived.get(id);
    if (!key) {
      key = this.#derive(kid, tenantId, plugin);
      this.#derived.set(id, key);
      key.catch(() => this.#derived.delete(id));
    }
    return key;
  }

  async #derive(kid: string, tenantId: string, plugin: string): Promise<CryptoKey> {
    let master = this.#masters.get(kid);
    if (!master) {
      master = crypto.subtle.importKey("raw", this.#ring.keys.get(kid)! as Uint8Array<ArrayBuffer>, "HKDF", false, [
        "deriveKey",
      ]);
      this.#masters.set(kid, master);
      master.catch(() => this.#masters.delete(kid));
    }
    return crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: SALT, info: utf8.encode(JSON.stringify([tenantId, plugin])) },
      await master,
      { name: "AES-GCM", length: 256 },
      false,
      ["encrypt", "decrypt"],
    );
  }
}

function aad(kid: string, tenantId: string, plugin: string): Uint8Array<ArrayBuffer> {
  return utf8.encode(JSON.stringify(["dvp-secret", VERSION, kid, tenantId, plugin]));
}

/** The bytes of base64url text only when it is the one canonical spelling of them. */
