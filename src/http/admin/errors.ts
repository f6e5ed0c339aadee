/**
 * The one place where errors become HTTP statuses (the admin API's, and the app's for every
 * other route). Every error answer is problem+json (src/http/problem.ts); unexpected failures
 * are logged and answered without any detail, so a stack trace or a stored value never reaches
 * the caller.
 */
import type { Context } from "hono";
import { errorMessage, type KernelErrorCode, ValidationError } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import { AuthError, AuthUnavailableError } from "../auth.ts";
import { problem } from "../problem.ts";
import { BodyError } from "./body.ts";

/** Every KernelError code has a status here: adding a code without deciding its status is a type error. */
export const STATUS_BY_CODE: Record<KernelErrorCode, number> = {
  ERR_VALIDATION: 422,
  ERR_TENANT_NOT_FOUND: 404,
  ERR_PLUGIN_NOT_FOUND: 404,
  ERR_TASK_NOT_FOUND: 404,
  ERR_EVENT_NOT_FOUND: 404,
  ERR_TENANT_INVALID: 404,
  ERR_FILTER_REJECTED: 422,
  ERR_SECRET_MISSING: 422,
  ERR_TASK_INVALID: 422,
  ERR_PLUGIN_INVALID: 500,
  ERR_PLUGIN_DUPLICATE: 500,
  ERR_PLUGIN_INCOMPATIBLE: 500,
  ERR_PLUGIN_NOT_REGISTERED: 500,
  ERR_CONFIGURATION: 500,
  ERR_DECRYPT: 500,
  ERR_STORAGE: 503,
  ERR_CONFLICT: 409,
  ERR_TOO_LARGE: 413,
  ERR_PLUGIN: 500,
  ERR_UNSAFE_URL: 422,
  ERR_AUTH: 401,
  ERR_AUTH_UNAVAILABLE: 503,
  ERR_TLS_PROBE: 500,
  ERR_CERTIFICATE: 500,
  ERR_WEBHOOK_HEADERS: 401,
  ERR_WEBHOOK_TIMESTAMP: 401,
  ERR_WEBHOOK_SIGNATURE: 401,
  ERR_WEBHOOK_SECRET: 401,
};

/** The problem type slug per code (the end of the `type` URI). */
const SLUG_BY_STATUS: Record<number, string> = {
  401: "unauthorized",
  404: "not-found",
  409: "conflict",
  413: "too-large",
  422: "validation-failed",
  500: "internal-error",
  503: "unavailable",
};

/** Statuses whose message is written for the caller; the others are answered generically. */
const SHOW_MESSAGE = new Set([404, 409, 422]);

export const WWW_AUTHENTICATE_REALM = 'Bearer realm="dvp-admin"';

/** 401 with RFC 6750's header: no error code when no credentials came, invalid_token otherwise. */
export function unauthorized(detail: string, tokenGiven: boolean): Response {
  const challenge = tokenGiven
    ? `${WWW_AUTHENTICATE_REALM}, error="invalid_token", error_description="${detail.replace(/["\\]/g, "")}"`
    : WWW_AUTHENTICATE_REALM;
  return problem(401, "unauthorized", detail, {}, { "www-authenticate": challenge });
}

export function forbidden(detail: string): Response {
  return problem(403, "forbidden", detail, {}, {
    "www-authenticate": `${WWW_AUTHENTICATE_REALM}, error="insufficient_scope"`,
  });
}

/** Any thrown value → its problem+json answer. */
export function errorResponse(error: unknown, logger: Logger, c?: Context): Response {
  if (error instanceof BodyError) return error.response;
  if (error instanceof AuthError) return unauthorized(error.message, true);
  if (error instanceof AuthUnavailableError) {
    log(logger, "admin token keys unavailable", { error: errorMessage(error.cause ?? error) });
    return problem(503, "auth-unavailable", "the keys to check the token could not be loaded; retry later", {}, {
      "retry-after": "30",
    });
  }
  const code = (error as { code?: unknown } | null)?.code;
  const status = typeof code === "string" && Object.hasOwn(STATUS_BY_CODE, code)
    ? STATUS_BY_CODE[code as KernelErrorCode]
    : 500;
  if (status >= 500) {
    log(logger, "admin request failed", {
      code: typeof code === "string" ? code : undefined,
      error: errorMessage(error),
      method: c?.req.method,
      path: c?.req.path,
    });
  }
  const slug = SLUG_BY_STATUS[status] ?? "internal-error";
  const detail = SHOW_MESSAGE.has(status) ? (error as Error).message : generic(status);
  const extensions = error instanceof ValidationError ? { errors: error.errors } : {};
  const headers: Record<string, string> = status === 409 ? { "retry-after": "1" } : {};
  return problem(status, slug, detail, extensions, headers);
}

/** The answer must not depend on the log: a logger that throws still leaves a problem+json answer. */
function log(logger: Logger, msg: string, extra: Record<string, unknown>): void {
  try {
    logger.error(msg, extra);
  } catch { /* nothing left to tell it with */ }
}

function generic(status: number): string {
  if (status === 413) return "the value is larger than the store keeps (Deno KV: 64 KiB per value)";
  return status === 503 ? "storage is unavailable; retry later" : "the request could not be completed";
}
