/**
 * Bounded body reading: the body is read once, from the stream, and the size limit is enforced
 * while reading, so an oversized upload is refused after at most `limit` bytes instead of being
 * buffered whole. A declared content-length over the limit is refused without keeping anything;
 * refused bodies are drained (read and dropped, bounded), never left unread.
 *
 * The one JSON body reader of the HTTP layer: webhooks, the filter endpoint and the admin API read
 * through `refuseUnlessJson` → `readBody` → `parseJson` (webhooks check the signature on the
 * bytes in between), so every one of them refuses the same way: 415 not JSON, 413 too large,
 * 400 `invalid-json` (empty, not UTF-8, too deep, not JSON; the body is never quoted: it may
 * hold a secret).
 */
import { refuse } from "./problem.ts";

/** The body is larger than the limit (answer 413). */
export class BodyTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`body is larger than ${limit} bytes`);
    this.name = "BodyTooLargeError";
    this.limit = limit;
  }
}

/**
 * A refused request's body is read and dropped up to this many times the size limit before the
 * connection is given up on. Reading it keeps a keep-alive connection usable: a body left unread
 * broke the sender's next request on it under wrangler dev's proxy (503 "Your worker restarted
 * mid-request"). Past that, the sender is not a CMS that misjudged a size, and the body is
 * cancelled (a declared length that large is not read at all).
 */
export const DRAIN_FACTOR = 4;

/**
 * Read and drop the body of a refused request, chunk by chunk (nothing is kept), up to
 * DRAIN_FACTOR × `limit` bytes; past that it is cancelled.
 */
export async function discardBody(request: Request, limit: number): Promise<void> {
  if (!request.body || request.bodyUsed) return;
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > DRAIN_FACTOR * limit) {
    await request.body.cancel().catch(() => {});
    return;
  }
  await drain(request.body.getReader(), 0, DRAIN_FACTOR * limit);
}

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, alreadyRead: number, max: number): Promise<void> {
  let size = alreadyRead;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      size += value.byteLength;
      if (size > max) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // The sender went away: nothing is left to keep usable.
  }
}

/** The request's body, at most `limit` bytes; rejects with BodyTooLargeError past that (the rest drained). */
export async function readBoundedBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) {
    await discardBody(request, limit);
    throw new BodyTooLargeError(limit);
  }
  if (!request.body) return new Uint8Array(0);
  if (declared !== null && /^\d+$/.test(declared)) {
    // A declared length is enforced by the HTTP layer (a body cannot run past it), so the body is
    // at most `limit` bytes: read it in one go, which costs far less than pulling it in chunks.
    const bytes = new Uint8Array(await request.arrayBuffer());
    if (bytes.byteLength > limit) throw new BodyTooLargeError(limit);
    return bytes;
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await drain(reader, size, DRAIN_FACTOR * limit);
      throw new BodyTooLargeError(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * The deepest nesting of arrays and objects in JSON text, found without parsing (so that a
 * 10,000-deep document is refused before it can exhaust the parser's or a plugin's stack).
 * Stops counting past `max`.
 */
export function jsonDepthExceeds(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Whether a content type is JSON (`application/json` or any `+json`), parameters ignored. */
export function isJsonContentType(value: string | null): boolean {
  if (!value) return false;
  const type = value.split(";", 1)[0]!.trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/** Refuse, before reading anything, a body that is not JSON (415) or declares more than `limit` bytes (413). */
export async function refuseUnlessJson(request: Request, limit: number): Promise<void> {
  if (!isJsonContentType(request.headers.get("content-type"))) {
    await discardBody(request, limit);
    refuse(415, "unsupported-media-type", "the request body must be application/json");
  }
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > limit) {
    await discardBody(request, limit);
    refuseTooLarge(limit);
  }
}

/** The body's bytes, at most `limit` (else 413, the rest drained). */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  try {
    return await readBoundedBody(request, limit);
  } catch (error) {
    if (error instanceof BodyTooLargeError) refuseTooLarge(limit);
    throw error;
  }
}

/**
 * The JSON value in `bytes`, or a 400 `invalid-json` refusal: not UTF-8, empty (or only
 * whitespace), nested more than `maxDepth` deep (counted on the bytes, before parsing, so a
 * hostile body cannot exhaust a stack), or not JSON.
 */
export function parseJson(bytes: Uint8Array, maxDepth: number): unknown {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    refuse(400, "invalid-json", "the request body is not valid UTF-8");
  }
  if (text.trim() === "") refuse(400, "invalid-json", "the request body is empty");
  if (jsonDepthExceeds(bytes, maxDepth)) {
    refuse(400, "invalid-json", `the request body is nested more than ${maxDepth} deep`);
  }
  try {
    return JSON.parse(text);
  } catch {
    refuse(400, "invalid-json", "the request body is not valid JSON");
  }
}

/** A JSON request body (the admin API's): content type, size, then parsing, each refused as above. */
export async function readJsonBody(request: Request, limit: number, maxDepth: number): Promise<unknown> {
  await refuseUnlessJson(request, limit);
  return parseJson(await readBody(request, limit), maxDepth);
}

function refuseTooLarge(limit: number): never {
  refuse(413, "body-too-large", `the request body is larger than ${limit} bytes`);
}
