/** netlify-deployer: tenant config and secrets (the build hook URL is a credential). */
import type { FromSchema } from "json-schema-to-ts";
import { BUILD_HOOK_PROPERTIES } from "../_shared/build-hook.ts";

export const CONFIG_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  title: "Netlify deployer",
  properties: {
    ...BUILD_HOOK_PROPERTIES,
    trigger_branch: {
      type: "string",
      title: "Branch",
      description: "Build this branch instead of the hook's default (trigger_branch).",
      pattern: "^[A-Za-z0-9._/-]{1,200}$",
    },
    trigger_title: {
      type: "string",
      title: "Deploy title",
      description: "Shown in Netlify's deploy log (trigger_title); {count} is replaced by the number of changes.",
      default: "DVP CMS: {count} content change(s)",
      maxLength: 200,
    },
  },
  additionalProperties: false,
} as const;

export const SECRETS_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: {
    build_hook_url: {
      type: "string",
      title: "Build hook URL",
      description:
        "Site configuration → Build & deploy → Build hooks, e.g. https://api.netlify.com/build_hooks/…. Anyone holding it can trigger builds.",
      format: "uri",
    },
  },
  required: ["build_hook_url"],
  additionalProperties: false,
} as const;

export type NetlifyConfig = FromSchema<typeof CONFIG_SCHEMA>;
