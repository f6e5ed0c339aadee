export { NetlifyDeployerPlugin } from "./plugin.ts";
export { NetlifyBuildHookClient } from "./client.ts";
export type { NetlifyTrigger } from "./client.ts";
export { CONFIG_SCHEMA, SECRETS_SCHEMA } from "./config.ts";
export type { NetlifyConfig } from "./config.ts";
