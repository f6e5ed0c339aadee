/**
 * Response headers for every dashboard page: a CSP that allows only this origin's script file,
 * the layout's stylesheet by its hash, and forms posting back here; framing refused; no referrer
 * leaves the dashboard for another origin; nothing cached (pages carry CSRF tokens and tenant data).
 */
import { bytesToBase64 } from "../../crypto/base64.ts";
import { CSS } from "./styles.ts";

let styleHash: Promise<string> | undefined;

/** The CSP source for the inline stylesheet, computed once per isolate. */
export function styleSource(): Promise<string> {
  styleHash ??= crypto.subtle.digest("SHA-256", new TextEncoder().encode(CSS)).then((d) =>
    `'sha256-${bytesToBase64(new Uint8Array(d))}'`
  );
  return styleHash;
}

export async function securityHeaders(): Promise<Record<string, string>> {
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    `style-src ${await styleSource()}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
  return {
    "content-security-policy": csp,
    "x-frame-options": "DENY",
    // same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on form posts.
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "cache-control": "no-store",
  };
}
