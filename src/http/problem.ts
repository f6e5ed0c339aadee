/**
 * RFC 9457 problem details: every error the HTTP surface answers is `application/problem+json`
 * with type, title, status, detail, and `errors: [{path, message}]` for validation. Never a
 * stack trace.
 */
import type { FieldError } from "../errors.ts";

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

/** A problem+json response. `slug` becomes the type URI, e.g. "invalid-signature". */
export function problem(
  status: number,
  slug: string,
  detail?: string,
  extensions: Omit<Problem, "title" | "status" | "type" | "detail"> = {},
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
