export { VercelDeployerPlugin } from "./plugin.ts";
export { VercelDeployHookClient } from "./client.ts";
export type { VercelJob } from "./client.ts";
export { CONFIG_SCHEMA, SECRETS_SCHEMA } from "./config.ts";
export type { VercelConfig } from "./config.ts";
