/** vercel-deployer: tenant config and secrets (the deploy hook URL is a credential). */
import type { FromSchema } from "json-schema-to-ts";
import { BUILD_HOOK_PROPERTIES } from "../_shared/build-hook.ts";

export const CONFIG_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  title: "Vercel deployer",
  properties: {
    ...BUILD_HOOK_PROPERTIES,
    build_cache: {
      type: "boolean",
      title: "Use the build cache",
      description: "When off, each deployment is built without Vercel's build cache (buildCache=false).",
      default: true,
    },
  },
  additionalProperties: false,
} as const;

export const SECRETS_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: {
    deploy_hook_url: {
      type: "string",
      title: "Deploy hook URL",
      description:
        "Project → Settings → Git → Deploy Hooks, e.g. https://api.vercel.com/v1/integrations/deploy/prj_…/…. Anyone holding it can trigger builds.",
      format: "uri",
    },
  },
  required: ["deploy_hook_url"],
  additionalProperties: false,
} as const;

export type VercelConfig = FromSchema<typeof CONFIG_SCHEMA>;
