/**
 * @dvp/kernel/client: the HTTP client plugins share (timeouts, retries, Retry-After, the URL
 * guard) and the network helpers the reference plugins use (TLS certificate probe). Re-exports only.
 */
export { createHttpClient, defaultSleep } from "../net/http-client.ts";
export type { HttpClient, HttpClientOptions, HttpErrorCode, HttpRequest, HttpResult } from "../net/http-client.ts";
export { assertSafeUrl, checkUrl, describeUrl, hostProblem, UnsafeUrlError } from "../net/url-guard.ts";
export type { UrlCheck, UrlGuardOptions } from "../net/url-guard.ts";
export type { TcpConnect, TcpSocket } from "../net/tcp.ts";
export { certificateCovers, DerError, parseCertificate } from "../net/der.ts";
export type { CertificateInfo } from "../net/der.ts";
export { fetchPeerCertificate, TlsProbeError } from "../net/tls-certificate.ts";
export type { PeerCertificate, TlsProbeErrorKind, TlsProbeOptions } from "../net/tls-certificate.ts";
export type { SavedUrl } from "../net/saved-urls.ts";
