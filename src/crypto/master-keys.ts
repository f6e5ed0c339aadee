/**
 * `DVP_MASTER_KEYS`: `kid:base64-32-bytes,kid2:…`. The first key encrypts; every key decrypts,
 * so a new key can be put first, secrets re-encrypted, and the old one removed afterwards.
 */
import { ConfigurationError } from "../errors.ts";
import { base64ToBytes, bytesToBase64 } from "./base64.ts";

export interface MasterKeyring {
  /** Key id of the key that encrypts. */
  readonly primary: string;
  readonly keys: ReadonlyMap<string, Uint8Array>;
}

const VARIABLE = "DVP_MASTER_KEYS";
const KID = /^[A-Za-z0-9_-]{1,32}$/;

export function parseMasterKeys(value: string | undefined): MasterKeyring {
  if (value === undefined || value.trim() === "") {
    throw new ConfigurationError(VARIABLE, "is not set (expected kid:base64-of-32-bytes[,kid:…])");
  }
  const keys = new Map<string, Uint8Array>();
  let primary: string | undefined;
  for (const [i, entry] of value.split(",").map((s) => s.trim()).entries()) {
    const colon = entry.indexOf(":");
    if (colon < 0) throw new ConfigurationError(VARIABLE, `entry ${i + 1} has no key id (expected kid:base64)`);
    const kid = entry.slice(0, colon);
    if (!KID.test(kid)) {
      throw new ConfigurationError(VARIABLE, `entry ${i + 1}: key id must be 1-32 letters, digits, _ or -`);
    }
    if (keys.has(kid)) throw new ConfigurationError(VARIABLE, `key id "${kid}" appears twice`);
    const bytes = base64ToBytes(entry.slice(colon + 1));
    if (!bytes) throw new ConfigurationError(VARIABLE, `key "${kid}" is not valid base64`);
    if (bytes.length !== 32) {
      throw new ConfigurationError(VARIABLE, `key "${kid}" is ${bytes.length} bytes; it must be 32`);
    }
    keys.set(kid, bytes);
    primary ??= kid;
  }
  return { primary: primary!, keys };
}

/** A fresh keyring value for `.dev.vars` or `wrangler secret put`: `kid:base64`. */
export function generateMasterKey(kid = `k${Date.now().toString(36)}`): string {
  return `${kid}:${bytesToBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}
