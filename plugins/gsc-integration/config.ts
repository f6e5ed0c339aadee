/** gsc-integration: which sites and what to fetch (config), the service-account key (secret). */
import type { FromSchema } from "json-schema-to-ts";

export const CONFIG_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  title: "Google Search Console",
  properties: {
    sites: {
      type: "array",
      title: "Sites",
      description:
        "Search Console properties, e.g. https://www.example.com/ (URL-prefix) or sc-domain:example.com (domain). The service account must be added as a user of each.",
      items: { type: "string", pattern: "^(https?://\\S+|sc-domain:[a-z0-9.-]+)$" },
      minItems: 1,
      uniqueItems: true,
    },
    date_range_days: {
      type: "integer",
      title: "Days per sync",
      description: "How many days each daily run fetches (re-fetching recent days picks up late data).",
      default: 3,
      minimum: 1,
      maximum: 30,
    },
    end_offset_days: {
      type: "integer",
      title: "Data delay (days)",
      description: "The range ends this many days before today: Search Console data arrives 2-3 days late.",
      default: 2,
      minimum: 0,
      maximum: 30,
    },
    dimensions: {
      type: "array",
      title: "Dimensions",
      description:
        "Rows are grouped by date and these dimensions. (Search appearance needs Google's two-step query and is not offered.)",
      items: { type: "string", enum: ["query", "page", "country", "device"] },
      uniqueItems: true,
      default: ["query", "page"],
    },
    search_type: {
      type: "string",
      title: "Search type",
      enum: ["web", "image", "video", "news", "discover", "googleNews"],
      default: "web",
    },
    data_state: {
      type: "string",
      title: "Data state",
      description: '"final": finalized data only; "all": include fresh, still changing data.',
      enum: ["final", "all"],
      default: "final",
    },
    row_limit: {
      type: "integer",
      title: "Rows per request",
      description: "Search Analytics rowLimit (pages are fetched with startRow).",
      default: 25000,
      minimum: 1,
      maximum: 25000,
    },
    max_rows_per_site: {
      type: "integer",
      title: "Row cap per site and run",
      description:
        "Stops paginating after this many rows (storage writes grow with it: one per 200 rows; a run stores about 120,000 and its retries continue).",
      default: 5000,
      minimum: 1,
      maximum: 200000,
    },
    sync_hour_utc: {
      type: "integer",
      title: "Sync hour (UTC)",
      default: 6,
      minimum: 0,
      maximum: 23,
    },
    retention_days: {
      type: "integer",
      title: "Keep data (days)",
      default: 480,
      minimum: 7,
      maximum: 1000,
    },
  },
  required: ["sites"],
  additionalProperties: false,
} as const;

export const SECRETS_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: {
    service_account_json: {
      type: "string",
      title: "Service account key (JSON)",
      description:
        "The JSON key file of a Google Cloud service account (type, client_email, private_key, token_uri, …), pasted whole.",
      minLength: 2,
    },
  },
  required: ["service_account_json"],
  additionalProperties: false,
} as const;

export type GscConfig = FromSchema<typeof CONFIG_SCHEMA>;
