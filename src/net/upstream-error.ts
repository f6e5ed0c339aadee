/**
 * How a hook turns a failed upstream call into the error it throws. A PluginError is final (no
 * retry, DESIGN §6), so it is kept for refusals a retry cannot change: a 4xx other than 408 and
 * 429. A timeout, a rate limit, a 5xx, no response at all or an unreadable body is a plain Error,
 * which the kernel retries with backoff.
 */
import { PluginError } from "../errors.ts";
import { isRetryableStatus } from "./retry.ts";

export function upstreamError(message: string, failure: { status: number; code?: string }): Error {
  const transient = failure.status === 0 || isRetryableStatus(failure.status) || failure.code === "invalid_body";
  return transient ? new Error(message) : new PluginError(message);
}
