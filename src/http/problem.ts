/**
 * The one way the HTTP layer refuses a request (RFC 9457 problem details): a route or middleware
 * throws — `refuse(status, type, detail)` for a refusal of its own, or a KernelError from the
 * kernel — and the app's `onError` answers `problemFor(error)`: `application/problem+json` with
 * type, title, status, detail, and `errors: [{path, message}]` for validation. A KernelError's
 * status is its code's in STATUS_BY_CODE, the table the dashboard's error page reads too. Never a
 * stack trace; a 5xx never carries the underlying message (it is logged).
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { errorMessage, type FieldError, type KernelErrorCode, ValidationError } from "../errors.ts";
import type { Logger } from "../logger.ts";

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export const PROBLEM_TYPE_BASE = "https://dvp-kernel.dev/problems/";

/** Members of a problem besides type, title, status and detail (`errors`, `plugin`, …). */
export type ProblemExtensions = Omit<Problem, "title" | "status" | "type" | "detail">;

/**
 * A problem+json response. `slug` becomes the type URI, e.g. "invalid-signature". Routes do not
 * return it: they `refuse(…)`; it is exported for answers given outside a Hono app (the Worker's
 * start-up failure) and for test fixtures.
 */
export function problem(
  status: number,
  slug: string,
  detail?: string,
  extensions: ProblemExtensions = {},
  headers?: HeadersInit,
): Response {
  const body: Problem = {
    type: PROBLEM_TYPE_BASE + slug,
    title: TITLES[status] ?? "Error",
    status,
    ...(detail === undefined ? {} : { detail }),
    ...extensions,
  };
  const h = new Headers(headers);
  h.set("content-type", "application/problem+json");
  h.set("cache-control", "no-store");
  return new Response(JSON.stringify(body), { status, headers: h });
}

/**
 * Refuse the request: throws hono's HTTPException carrying the problem+json answer (headers such
 * as Retry-After, WWW-Authenticate or Allow included), which `problemFor` hands back as it is.
 * Hono's own error handler answers it the same way, so a refusal is right even where our
 * `onError` is not installed.
 */
export function refuse(
  status: number,
  slug: string,
  detail?: string,
  extensions?: ProblemExtensions,
  headers?: HeadersInit,
): never {
  throw new HTTPException(status as ContentfulStatusCode, {
    res: problem(status, slug, detail, extensions, headers),
    message: detail,
  });
}

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

/** The status of anything thrown: its code's in STATUS_BY_CODE, 500 for anything else. */
export function statusOf(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && Object.hasOwn(STATUS_BY_CODE, code)
    ? STATUS_BY_CODE[code as KernelErrorCode]
    : 500;
}

/** The problem type slug per status (the end of the `type` URI) of a thrown KernelError. */
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

const WWW_AUTHENTICATE_REALM = 'Bearer realm="dvp-admin"';

/** Refuse with 401 and RFC 6750's header: no error code when no credentials came, invalid_token otherwise. */
export function refuseUnauthorized(detail: string, tokenGiven: boolean): never {
  refuse(401, "unauthorized", detail, {}, { "www-authenticate": challenge(detail, tokenGiven) });
}

/** Refuse with 403: the token is valid but not for this. */
export function refuseForbidden(detail: string): never {
  refuse(403, "forbidden", detail, {}, {
    "www-authenticate": `${WWW_AUTHENTICATE_REALM}, error="insufficient_scope"`,
  });
}

function challenge(detail: string, tokenGiven: boolean): string {
  return tokenGiven
    ? `${WWW_AUTHENTICATE_REALM}, error="invalid_token", error_description="${detail.replace(/["\\]/g, "")}"`
    : WWW_AUTHENTICATE_REALM;
}

/** Anything thrown → its problem+json answer: a refusal as it was built, a KernelError by its code. */
export function problemFor(error: unknown, logger: Logger, c?: Context): Response {
  if (error instanceof HTTPException) {
    if (error.res) return error.res;
    // Thrown by hono or a host's middleware without an answer of its own.
    const status = error.status;
    return problem(status, status >= 500 ? "internal-error" : "http-error", status >= 500 ? undefined : error.message);
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ERR_AUTH") {
    const detail = (error as Error).message;
    return problem(401, "unauthorized", detail, {}, { "www-authenticate": challenge(detail, true) });
  }
  if (code === "ERR_AUTH_UNAVAILABLE") {
    log(logger, "admin token keys unavailable", { error: errorMessage((error as Error).cause ?? error) });
    return problem(503, "auth-unavailable", "the keys to check the token could not be loaded; retry later", {}, {
      "retry-after": "30",
    });
  }
  const status = statusOf(error);
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
