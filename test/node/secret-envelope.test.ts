/**
 * The secret envelope, layer by layer (DESIGN §5), against an independent implementation of its
 * format in plain WebCrypto: the HKDF info binds tenant and plugin, and so does the AES-GCM
 * associated data, each on its own, so removing either from either layer fails here. A
 * known-answer vector keeps the format fixed: secrets stored today must keep decrypting.
 */
import { describe, expect, it } from "vitest";
import { base64ToBytes, bytesToBase64Url, utf8 } from "../../src/crypto/base64.ts";
import { parseMasterKeys } from "../../src/entries/runtime.ts";
import { SecretBox } from "../../src/crypto/secret-box.ts";

const MASTER = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const KID = "kat";
const A = "6f1c2a4e-8d3b-4c1a-9e2f-0a1b2c3d4e5f";
const B = "0b0b0b0b-2222-4222-8222-000000000002";
const PLUGIN = "gsc-integration";
const OTHER_PLUGIN = "ahrefs-integration";

/** The key of (tenant, plugin) as the format defines it: HKDF-SHA-256, salt and info as below. */
async function specKey(tenant: string, plugin: string): Promise<CryptoKey> {
  const master = await crypto.subtle.importKey(
    "raw",
    base64ToBytes(MASTER)! as Uint8Array<ArrayBuffer>,
    "HKDF",
    false,
    [
      "deriveKey",
    ],
  );
  return crypto.subtle.deriveKey(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: utf8.encode("dvp-kernel/secrets/v1"),
      info: utf8.encode(JSON.stringify([tenant, plugin])),
    },
    master,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/** The associated data of (tenant, plugin) as the format defines it. */
const specAad = (tenant: string, plugin: string) =>
  utf8.encode(JSON.stringify(["dvp-secret", "v1", KID, tenant, plugin]));

/** Seal by hand with any key and associated data: `v1.<kid>.<nonce>.<ciphertext+tag>`. */
async function seal(key: CryptoKey, aad: Uint8Array<ArrayBuffer>, plaintext: string): Promise<string> {
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv: nonce, additionalData: aad },
    key,
    utf8.encode(plaintext),
  );
  return `v1.${KID}.${bytesToBase64Url(nonce)}.${bytesToBase64Url(new Uint8Array(sealed))}`;
}

/** Open by hand with any key and associated data; null when authentication fails. */
async function open(key: CryptoKey, aad: Uint8Array<ArrayBuffer>, envelope: string): Promise<string | null> {
  const [, , nonce, sealed] = envelope.split(".");
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: base64ToBytes(nonce!)! as Uint8Array<ArrayBuffer>, additionalData: aad },
      key,
      base64ToBytes(sealed!)! as Uint8Array<ArrayBuffer>,
    );
    return utf8.decode(plain);
  } catch {
    return null;
  }
}

const newBox = () => new SecretBox(parseMasterKeys(`${KID}:${MASTER}`), { maxCachedPlaintexts: 0 });

describe("secret envelope", () => {
  it("the HKDF info binds tenant and plugin: only the key of the envelope's own pair opens it", async () => {
    const envelope = await newBox().encrypt(A, PLUGIN, "s3cret");
    const aad = specAad(A, PLUGIN); // the right associated data: only the key differs below
    expect(await open(await specKey(A, PLUGIN), aad, envelope)).toBe("s3cret");
    expect(await open(await specKey(B, PLUGIN), aad, envelope)).toBeNull();
    expect(await open(await specKey(A, OTHER_PLUGIN), aad, envelope)).toBeNull();
  });

  it("the associated data binds tenant and plugin: with the right key, another pair's data fails", async () => {
    const envelope = await newBox().encrypt(A, PLUGIN, "s3cret");
    const key = await specKey(A, PLUGIN); // the right key: only the associated data differs below
    expect(await open(key, specAad(A, PLUGIN), envelope)).toBe("s3cret");
    expect(await open(key, specAad(B, PLUGIN), envelope)).toBeNull();
    expect(await open(key, specAad(A, OTHER_PLUGIN), envelope)).toBeNull();
  });

  it("the box checks each layer on its own", async () => {
    const box = newBox();
    // Built by hand for (B, PLUGIN): the box opens it as (B, PLUGIN) only.
    const proper = await seal(await specKey(B, PLUGIN), specAad(B, PLUGIN), "for B");
    expect(await box.decrypt(B, PLUGIN, proper)).toBe("for B");
    // B's key but associated data naming A: the key layer alone would let it through as B.
    const aadForA = await seal(await specKey(B, PLUGIN), specAad(A, PLUGIN), "moved");
    await expect(box.decrypt(B, PLUGIN, aadForA)).rejects.toMatchObject({ code: "ERR_DECRYPT" });
    await expect(box.decrypt(A, PLUGIN, aadForA)).rejects.toMatchObject({ code: "ERR_DECRYPT" });
    // B's associated data but A's key: the data layer alone would let it through as B.
    const keyOfA = await seal(await specKey(A, PLUGIN), specAad(B, PLUGIN), "moved");
    await expect(box.decrypt(B, PLUGIN, keyOfA)).rejects.toMatchObject({ code: "ERR_DECRYPT" });
    // The same, across plugins of one tenant.
    const otherPluginData = await seal(await specKey(B, PLUGIN), specAad(B, OTHER_PLUGIN), "moved");
    await expect(box.decrypt(B, PLUGIN, otherPluginData)).rejects.toMatchObject({ code: "ERR_DECRYPT" });
  });

  it("a stored envelope (known-answer vector) keeps decrypting to its plaintext", async () => {
    // Sealed once with the master key above and committed: a change of format, salt, info or
    // associated data that would strand the secrets already stored fails here.
    const stored = "v1.kat.GwaBfyzxVTuhuZDA.8Wg9bbwNYiJ1o1MX9K0m6_m2DNSRyNBx0PPUd0yEYAba9Q19LHSpQohUinvuWoctEvz0osw";
    const plaintext = JSON.stringify({ api_token: "tok_known_answer_0001" });
    expect(await newBox().decrypt(A, PLUGIN, stored)).toBe(plaintext);
    expect(await open(await specKey(A, PLUGIN), specAad(A, PLUGIN), stored)).toBe(plaintext);
    await expect(newBox().decrypt(B, PLUGIN, stored)).rejects.toMatchObject({ code: "ERR_DECRYPT" });
  });
});
