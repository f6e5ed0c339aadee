import type { PluginNames } from "../names.ts";

export function configTemplate(n: PluginNames): string {
  return `/**
 * ${n.title}'s settings. CONFIG_SCHEMA is public per-tenant configuration (the admin form is
 * generated from it); anything credential-like goes in SECRETS_SCHEMA, stored encrypted.
 */
import type { FromSchema } from "../../src/index.ts";

export const CONFIG_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: {
    api_endpoint: {
      type: "string",
      title: "API Endpoint",
      description: "Base URL of the service this plugin calls, e.g. https://api.example.com",
      format: "uri",
      pattern: "^https?://",
    },
    timeout_seconds: {
      type: "integer",
      title: "Timeout (seconds)",
      description: "How long one API call of the daily sync may take (content hooks use 2.5 s, within the 10 s a hook gets)",
      default: 30,
      minimum: 1,
      maximum: 300,
    },
  },
  required: ["api_endpoint"],
  additionalProperties: false,
} as const;

export const SECRETS_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: {
    api_token: { type: "string", title: "API Token", description: "Sent as a Bearer token", minLength: 1 },
  },
  required: ["api_token"],
} as const;

export type ${n.configType} = FromSchema<typeof CONFIG_SCHEMA>;
`;
}
