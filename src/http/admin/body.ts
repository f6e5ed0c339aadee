/**
 * Reading an admin request's JSON body: JSON content type (else 415), at most the size limit,
 * enforced while reading so a huge upload is never buffered (else 413), UTF-8 and well-formed
 * JSON (else 400, without quoting the body: it may hold a secret), nested at most 32 deep.
 */
import { problem } from "../problem.ts";

export const ADMIN_BODY_LIMIT_BYTES = 256 * 1024;
export const MAX_JSON_DEPTH = 32;

/** A request body problem, carrying the answer to give. */
export class BodyError extends Error {
  constructor(readonly response: Response) {
    super("request body rejected");
    this.name = "BodyError";
  }
}

export async function readJsonBody(request: Request, limit = ADMIN_BODY_LIMIT_BYTES): Promise<unknown> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (type !== "application/json" && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
    throw new BodyError(problem(415, "unsupported-media-type", "the request body must be application/json"));
  }
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
  const bytes = await readLimited(request, limit);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new BodyError(problem(400, "malformed-body", "the request body is not valid UTF-8"));
  }
  if (text.trim() === "") throw new BodyError(problem(400, "malformed-body", "the request body is empty"));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BodyError(problem(400, "malformed-body", "the request body is not valid JSON"));
  }
  if (depthExceeds(value, MAX_JSON_DEPTH)) {
    throw new BodyError(problem(400, "malformed-body", `the request body is nested more than ${MAX_JSON_DEPTH} deep`));
  }
  return value;
}

async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

function tooLarge(limit: number): BodyError {
  return new BodyError(problem(413, "body-too-large", `the request body is larger than ${limit} bytes`));
}

/** Iterative, so a hostile body cannot exhaust the stack here (JSON.parse itself is iterative). */
function depthExceeds(root: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== "object") continue;
    if (depth > max) return true;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return false;
}
