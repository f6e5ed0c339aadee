/**
 * The two probes: an HTTP GET through the shared client (manual redirects, each hop through the
 * URL guard) and the TLS certificate read over a raw socket (src/net/tls-certificate.ts).
 */
import type { HttpClient } from "@dvp/kernel/client";
import type { TcpConnect } from "@dvp/kernel/client";
import { fetchPeerCertificate, type PeerCertificate } from "@dvp/kernel/client";

export interface UptimeProbe {
  ok: boolean;
  status: number;
  latencyMs: number;
  error?: string;
  code?: string;
  finalUrl?: string;
  body?: string;
}

export async function probeUptime(
  http: HttpClient,
  url: string,
  options: { timeoutMs: number; readBody: boolean; signal?: AbortSignal },
): Promise<UptimeProbe> {
  const started = performance.now();
  const result = await http.request<string>({
    url,
    headers: { "user-agent": "dvp-domain-health-monitor/1.0", accept: "text/html,*/*" },
    responseType: options.readBody ? "text" : "none",
    timeoutMs: options.timeoutMs,
    retries: 0, // one probe per check; the schedule is the retry
    signal: options.signal,
  });
  const latencyMs = Math.round(performance.now() - started);
  if (result.success) {
    return { ok: true, status: result.status, latencyMs, finalUrl: result.url, body: result.data ?? undefined };
  }
  return { ok: false, status: result.status, latencyMs, error: result.error, code: result.code };
}

export function probeCertificate(
  connect: TcpConnect,
  hostname: string,
  port: number,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<PeerCertificate> {
  return fetchPeerCertificate(connect, { hostname, port, timeoutMs: options.timeoutMs, signal: options.signal });
}
