/**
 * The admin API's request bodies: JSON, at most 256 KiB, nested at most 32 deep, read by the HTTP
 * layer's one JSON body reader (../body.ts), which refuses each problem the same way everywhere.
 */
import { readJsonBody as readJson } from "../body.ts";

export const ADMIN_BODY_LIMIT_BYTES = 256 * 1024;
export const MAX_JSON_DEPTH = 32;

export function readJsonBody(request: Request, limit = ADMIN_BODY_LIMIT_BYTES): Promise<unknown> {
  return readJson(request, limit, MAX_JSON_DEPTH);
}
