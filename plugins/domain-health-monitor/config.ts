/** domain-health-monitor: the domains to watch and the thresholds. No secrets. */
import type { FromSchema } from "json-schema-to-ts";

export const CONFIG_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  title: "Domain health monitor",
  properties: {
    domains: {
      type: "array",
      title: "Domains",
      minItems: 1,
      maxItems: 50,
      items: {
        type: "object",
        properties: {
          domain: {
            type: "string",
            title: "Domain",
            description: "Host name, e.g. www.acme.com.",
            pattern: "^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$",
          },
          url: {
            type: "string",
            title: "Uptime URL",
            description: "Page to fetch for the uptime check (default https://<domain>/).",
            format: "uri",
          },
          expected_keyword: {
            type: "string",
            title: "Expected keyword",
            description: "The uptime check fails when the page does not contain this text.",
            minLength: 1,
            maxLength: 200,
          },
          tls_port: {
            type: "integer",
            title: "TLS port",
            description: "Port of the certificate check.",
            default: 443,
            minimum: 1,
            maximum: 65535,
          },
        },
        required: ["domain"],
        additionalProperties: false,
      },
    },
    checks: {
      type: "array",
      title: "Checks",
      description: "uptime: HTTP status, latency, keyword; ssl: days until the certificate expires.",
      items: { type: "string", enum: ["uptime", "ssl"] },
      uniqueItems: true,
      minItems: 1,
      default: ["uptime", "ssl"],
    },
    timeout_seconds: { type: "integer", title: "Timeout (s)", default: 10, minimum: 1, maximum: 60 },
    max_redirects: { type: "integer", title: "Redirects followed", default: 5, minimum: 0, maximum: 10 },
    latency_degraded_ms: {
      type: "integer",
      title: "Slow above (ms)",
      description: "A response slower than this is degraded.",
      default: 2000,
      minimum: 50,
      maximum: 60000,
    },
    ssl_degraded_days: {
      type: "integer",
      title: "Certificate warning (days)",
      description: "Degraded when the certificate expires within this many days.",
      default: 30,
      minimum: 1,
      maximum: 365,
    },
    ssl_unhealthy_days: {
      type: "integer",
      title: "Certificate critical (days)",
      description: "Unhealthy when the certificate expires within this many days (or has expired).",
      default: 7,
      minimum: 0,
      maximum: 365,
    },
  },
  required: ["domains"],
  additionalProperties: false,
} as const;

export type HealthMonitorConfig = FromSchema<typeof CONFIG_SCHEMA>;
export type MonitoredDomain = HealthMonitorConfig["domains"][number];
