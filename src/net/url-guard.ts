/**
 * The guard for URLs a tenant supplies (deploy hooks, S3 endpoints, token URIs, monitored
 * domains): `https` only, and the host must not be a private, loopback, link-local,
 * unique-local, CGNAT, unspecified, multicast or metadata address — in any spelling the URL
 * parser accepts (`0x7f000001`, `0177.0.0.1`, `2130706433`, `127.1`, `[::ffff:127.0.0.1]`).
 *
 * Limit: Workers and Deno Deploy offer no DNS API, so a public name that *resolves* to a private
 * address (or DNS rebinding) cannot be caught here; names are judged literally (IP literals,
 * `localhost`, `*.local`, `*.internal`, single-label names, …). On Workers, outbound fetch cannot
 * reach private networks anyway; on self-hosted Deno, add a network-level egress policy.
 *
 * `allowInsecure` (the deployment's `DVP_ALLOW_INSECURE_URLS=true`, for local development and
 * tests) turns the guard off entirely.
 */
import { KernelError } from "../errors.ts";
import { classifyIpv4, classifyIpv6, parseIpv4, parseIpv6 } from "./ip.ts";

export interface UrlGuardOptions {
  /** Accept any http(s) URL: local development and tests only. */
  allowInsecure?: boolean;
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/** Host names that are internal by definition (RFC 6761, RFC 6762, common cloud conventions). */
const BLOCKED_NAMES = new Set(["localhost", "metadata", "metadata.google.internal", "instance-data"]);
const BLOCKED_SUFFIXES = [
  ".localhost",
  ".local",
  ".internal",
  ".localdomain",
  ".home.arpa",
  ".lan",
  ".intranet",
  ".corp",
  ".private",
];

/** Why `hostname` (as `URL.hostname` gives it, IPv6 in brackets) may not be fetched, or null. */
export function hostProblem(hostname: string): string | null {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  if (host === "") return "empty host";
  const v6 = host.startsWith("[") || host.includes(":") ? parseIpv6(host) : null;
  if (v6) {
    const why = classifyIpv6(v6);
    return why ? `${hostname} is a ${why} address` : null;
  }
  if (host.startsWith("[")) return `${hostname} is not a valid IPv6 address`;
  const v4 = parseIpv4(host);
  if (v4) {
    const why = classifyIpv4(v4);
    return why ? `${hostname} is a ${why} address (${v4.join(".")})` : null;
  }
  if (BLOCKED_NAMES.has(host) || BLOCKED_SUFFIXES.some((s) => host.endsWith(s))) {
    return `${hostname} is an internal host name`;
  }
  if (!host.includes(".")) return `${hostname} is a single-label (intranet) host name`;
  // A name ending in a numeric label is parsed as IPv4 by the URL parser; anything else odd is refused.
  if (/\.\d+$/.test(host) || !/^[a-z0-9_.-]+$/.test(host)) return `${hostname} is not a valid public host name`;
  return null;
}

/** Check a tenant-supplied URL before fetching it (and every redirect target after it). */
export function checkUrl(input: string | URL, options: UrlGuardOptions = {}): UrlCheck {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return { ok: false, reason: "not a valid absolute URL" };
  }
  if (options.allowInsecure) {
    return url.protocol === "https:" || url.protocol === "http:"
      ? { ok: true, url }
      : { ok: false, reason: `scheme ${url.protocol} is not http(s)` };
  }
  if (url.protocol !== "https:") return { ok: false, reason: `scheme ${url.protocol} is not allowed: use https` };
  if (url.username || url.password) return { ok: false, reason: "credentials in the URL are not allowed" };
  const problem = hostProblem(url.hostname);
  return problem ? { ok: false, reason: problem } : { ok: true, url };
}

/** Thrown by `assertSafeUrl`; the message never includes the URL's query (it may carry a key). */
export class UnsafeUrlError extends KernelError {
  declare readonly code: "ERR_UNSAFE_URL";
  constructor(readonly reason: string) {
    super("ERR_UNSAFE_URL", `refusing URL: ${reason}`);
    this.name = "UnsafeUrlError";
  }
}

export function assertSafeUrl(input: string | URL, options: UrlGuardOptions = {}): URL {
  const check = checkUrl(input, options);
  if (!check.ok) throw new UnsafeUrlError(check.reason);
  return check.url;
}

/** A URL for logs and errors: origin and path only (query strings and hook paths can be credentials). */
export function describeUrl(input: string | URL, options: { hidePath?: boolean } = {}): string {
  try {
    const url = new URL(input);
    return options.hidePath ? `${url.origin}/…` : `${url.origin}${url.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}
