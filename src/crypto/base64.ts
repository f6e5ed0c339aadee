/** Base64 and base64url without Node's Buffer or Deno's std: the core uses web APIs only. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Decodes standard or url-safe base64, padded or not; null when it is not base64. */
export function base64ToBytes(text: string): Uint8Array | null {
  const normal = text.replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normal) || normal.replace(/=+$/, "").length % 4 === 1) return null;
  try {
    const binary = atob(normal.padEnd(Math.ceil(normal.length / 4) * 4, "="));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}

export function bytesToBase64Url(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export const utf8 = {
  // A TextEncoder always returns a fresh ArrayBuffer (Cloudflare's types say ArrayBufferLike).
  encode: (text: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>,
  decode: (bytes: BufferSource): string => new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes),
};

/**
 * The bytes of `text` when it is the one base64url spelling of them (no padding, spare low bits
 * zero), else null: decoders ignore those bits, so a value keyed or compared as text must be canonical.
 */
export function canonicalBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const bytes = base64ToBytes(text);
  return bytes && bytesToBase64Url(bytes) === text ? bytes : null;
}
