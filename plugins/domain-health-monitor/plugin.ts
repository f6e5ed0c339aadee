/**
 * domain-health-monitor: per configured domain, an uptime check (status, latency, expected
 * keyword, redirects within limits, timeout) and a certificate check (days until the served
 * certificate expires, read with a TLS 1.2 handshake over the runtime's TCP socket), each
 * mapped to healthy / degraded / unhealthy by the tenant's thresholds. The scheduler runs them
 * and keeps the history.
 */
import type { HealthCheckDefinition, HealthCheckResult, HealthMonitorHooks, HookContext } from "@dvp/kernel";
import { certificateCovers } from "@dvp/kernel/client";
import type { TcpConnect } from "@dvp/kernel/client";
import { TlsProbeError } from "@dvp/kernel/client";
import type { SavedUrl } from "@dvp/kernel/client";
import { hostProblem } from "@dvp/kernel/client";
import { Plugin } from "@dvp/kernel";
import { pluginHttpClient, type ReferencePluginOptions } from "../_shared/http.ts";
import { probeCertificate, probeUptime } from "./client.ts";
import { CONFIG_SCHEMA, type HealthMonitorConfig, type MonitoredDomain } from "./config.ts";

export interface HealthMonitorOptions extends ReferencePluginOptions {
  /** Raw TCP for the certificate check (cloudflare:sockets `connect`, a Deno.connect wrapper). */
  connect?: TcpConnect;
}

const DAY = 86_400_000;

export class DomainHealthMonitorPlugin extends Plugin<HealthMonitorConfig> implements HealthMonitorHooks {
  readonly name = "domain-health-monitor";
  readonly version = "1.0.0";
  override description = "Uptime and TLS certificate expiry of the tenant's domains";
  override author = "DVP CMS";
  override kernelVersion = "^1.0.0";
  override CONFIG_SCHEMA = CONFIG_SCHEMA;

  constructor(private readonly options: HealthMonitorOptions = {}) {
    super();
  }

  /** Each domain is checked when saved as its default uptime URL would be. */
  override savedUrls(kind: "config" | "secrets", value: Record<string, unknown>): SavedUrl[] {
    const domains = kind === "config" && Array.isArray(value.domains) ? value.domains as MonitoredDomain[] : [];
    return domains.map((d, i) => ({ path: `/domains/${i}/domain`, url: `https://${d.domain}/`, name: "domain" }));
  }

  async registerHealthChecks(ctx: HookContext): Promise<HealthCheckDefinition[]> {
    const config = await this.getConfig(ctx.tenantId);
    return config.domains.flatMap((d) =>
      config.checks.map((checkType) => ({ checkType, target: d.domain.toLowerCase() }))
    );
  }

  async executeHealthCheck(
    ctx: HookContext,
    checkType: string,
    target: string,
    signal?: AbortSignal,
  ): Promise<HealthCheckResult> {
    const config = await this.getConfig(ctx.tenantId);
    const entry = config.domains.find((d) => d.domain.toLowerCase() === target.toLowerCase());
    if (!entry) return { status: "unhealthy", message: `${target} is not among the configured domains` };
    if (checkType === "uptime") return this.#uptime(ctx, config, entry, signal);
    if (checkType === "ssl") return this.#certificate(config, entry, signal);
    return { status: "unhealthy", message: `unknown check type ${checkType}` };
  }

  async #uptime(
    ctx: HookContext,
    config: HealthMonitorConfig,
    entry: MonitoredDomain,
    signal?: AbortSignal,
  ): Promise<HealthCheckResult> {
    const url = entry.url ?? `https://${entry.domain}/`;
    const http = pluginHttpClient(this.fetch, this.logger, ctx.tenantId, this.options, {
      maxRedirects: config.max_redirects,
    });
    const probe = await probeUptime(http, url, {
      timeoutMs: config.timeout_seconds * 1000,
      readBody: entry.expected_keyword !== undefined,
      signal,
    });
    const details: Record<string, unknown> = { url, status: probe.status, latency_ms: probe.latencyMs };
    if (probe.finalUrl && probe.finalUrl !== new URL(url).href) details.final_url = probe.finalUrl;
    if (!probe.ok) {
      return { status: "unhealthy", latencyMs: probe.latencyMs, message: probe.error, details };
    }
    if (entry.expected_keyword !== undefined) {
      const found = (probe.body ?? "").toLowerCase().includes(entry.expected_keyword.toLowerCase());
      details.keyword_found = found;
      if (!found) {
        return {
          status: "unhealthy",
          latencyMs: probe.latencyMs,
          message: `HTTP ${probe.status} but the page lacks "${entry.expected_keyword}"`,
          details,
        };
      }
    }
    if (probe.latencyMs > config.latency_degraded_ms) {
      return {
        status: "degraded",
        latencyMs: probe.latencyMs,
        message: `slow: ${probe.latencyMs} ms (limit ${config.latency_degraded_ms} ms)`,
        details,
      };
    }
    return {
      status: "healthy",
      latencyMs: probe.latencyMs,
      message: `HTTP ${probe.status} in ${probe.latencyMs} ms`,
      details,
    };
  }

  async #certificate(
    config: HealthMonitorConfig,
    entry: MonitoredDomain,
    signal?: AbortSignal,
  ): Promise<HealthCheckResult> {
    const host = entry.domain.toLowerCase();
    if (!this.options.connect) {
      return { status: "degraded", message: "certificate expiry unknown: this runtime offers no TCP socket API" };
    }
    const problem = this.options.allowInsecureUrls ? null : hostProblem(host);
    if (problem) return { status: "unhealthy", message: `refusing to connect: ${problem}` };
    const started = performance.now();
    try {
      const cert = await probeCertificate(this.options.connect, host, entry.tls_port, {
        timeoutMs: config.timeout_seconds * 1000,
        signal,
      });
      const latencyMs = Math.round(performance.now() - started);
      const now = this.host.now();
      const daysLeft = Math.floor((cert.notAfter.getTime() - now) / DAY);
      const details = {
        days_left: daysLeft,
        not_after: cert.notAfter.toISOString(),
        not_before: cert.notBefore.toISOString(),
        subject: cert.subjectCN,
        issuer: cert.issuerCN,
        names: cert.dnsNames,
      };
      if (cert.notBefore.getTime() > now) {
        return { status: "unhealthy", latencyMs, message: "certificate is not valid yet", details };
      }
      if (daysLeft < 0) return { status: "unhealthy", latencyMs, message: "certificate has expired", details };
      const message = `certificate expires in ${daysLeft} days (${details.not_after.slice(0, 10)})`;
      if (daysLeft <= config.ssl_unhealthy_days) return { status: "unhealthy", latencyMs, message, details };
      if (!certificateCovers(cert, host)) {
        return { status: "degraded", latencyMs, message: `${message}, but it does not name ${host}`, details };
      }
      if (daysLeft <= config.ssl_degraded_days) return { status: "degraded", latencyMs, message, details };
      return { status: "healthy", latencyMs, message, details };
    } catch (error) {
      // Not a verdict on the site (the uptime check is): the expiry is unknown, say why.
      const reason = error instanceof TlsProbeError ? error.message : String(error);
      return {
        status: "degraded",
        message: `certificate expiry unknown: ${reason}`,
        details: { reason: error instanceof TlsProbeError ? error.kind : "error" },
      };
    }
  }
}
