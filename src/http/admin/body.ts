/**
 * Reading an admin request's JSON body: JSON content type (else 415), at most the size limit,
 * enforced while reading so a huge upload is never buffered (else 413), UTF-8 and well-formed
 * JSON (else 400, without quoting the body: it may hold a secret), nested at most 32 deep.
 * The reading itself is the webhooks' (../body.ts); only the answers are the admin API's.
 */
import { BodyTooLargeError, discardBody, isJsonContentType, jsonDepthExceeds, readBoundedBody } from "../body.ts";
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
  if (!isJsonContentType(request.headers.get("content-type"))) {
    await discardBody(request, limit);
    throw new BodyError(problem(415, "unsupported-media-type", "the request body must be application/json"));
  }
  let bytes: Uint8Array;
  try {
    bytes = await readBoundedBody(request, limit);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    throw new BodyError(problem(413, "body-too-large", `the request body is larger than ${limit} bytes`));
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new BodyError(problem(400, "malformed-body", "the request body is not valid UTF-8"));
  }
  if (text.trim() === "") throw new BodyError(problem(400, "malformed-body", "the request body is empty"));
  // Counted on the bytes, before parsing: a hostile body cannot exhaust a stack here.
  if (jsonDepthExceeds(bytes, MAX_JSON_DEPTH)) {
    throw new BodyError(problem(400, "malformed-body", `the request body is nested more than ${MAX_JSON_DEPTH} deep`));
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyError(problem(400, "malformed-body", "the request body is not valid JSON"));
  }
}
