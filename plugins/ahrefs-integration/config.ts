/** ahrefs-integration: targets and features (config), the API v3 token (secret). */
import type { FromSchema } from "json-schema-to-ts";

export const CONFIG_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  title: "Ahrefs",
  properties: {
    targets: {
      type: "array",
      title: "Targets",
      description: "Domains or URLs to track, e.g. acme.com or https://acme.com/blog/.",
      items: { type: "string", minLength: 3, maxLength: 500 },
      minItems: 1,
      maxItems: 50,
      uniqueItems: true,
    },
    mode: {
      type: "string",
      title: "Target mode",
      description: "How Ahrefs scopes each target: exact URL, URL prefix, domain, or domain with subdomains.",
      enum: ["exact", "prefix", "domain", "subdomains"],
      default: "subdomains",
    },
    enabled_features: {
      type: "array",
      title: "Enabled Features",
      description:
        "keywords: top organic keywords; backlinks: Domain Rating, backlinks and referring domains; rankings: organic keyword counts, traffic and traffic value.",
      items: { type: "string", enum: ["keywords", "backlinks", "rankings"] },
      uniqueItems: true,
      minItems: 1,
      default: ["keywords", "backlinks", "rankings"],
    },
    country: {
      type: "string",
      title: "Country",
      description: "Two-letter country code for organic data (empty: all countries).",
      pattern: "^[a-z]{2}$",
    },
    keywords_limit: {
      type: "integer",
      title: "Top keywords kept",
      description: "How many organic keywords (by traffic) each snapshot keeps. Each row costs API units.",
      default: 50,
      minimum: 1,
      maximum: 250,
    },
    requests_per_minute: {
      type: "integer",
      title: "Requests per minute",
      description:
        "Your Ahrefs plan's API rate limit (60 by default). Requests are spaced to stay under it; a run that cannot finish within its time limit continues in the next run.",
      default: 60,
      minimum: 1,
      maximum: 6000,
    },
    sync_hour_utc: { type: "integer", title: "Sync hour (UTC)", default: 5, minimum: 0, maximum: 23 },
    retention_days: { type: "integer", title: "Keep snapshots (days)", default: 400, minimum: 7, maximum: 1000 },
  },
  required: ["targets"],
  additionalProperties: false,
} as const;

export const SECRETS_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: {
    api_token: {
      type: "string",
      title: "API token",
      description: "An Ahrefs API v3 key (Account settings → API keys).",
      minLength: 8,
    },
  },
  required: ["api_token"],
  additionalProperties: false,
} as const;

export type AhrefsConfig = FromSchema<typeof CONFIG_SCHEMA>;
export type AhrefsFeature = AhrefsConfig["enabled_features"][number];
