import type { PluginNames } from "../names.ts";

export function indexTemplate(n: PluginNames): string {
  return `/** ${n.slug}: the plugin, its config and its API client. */
export { ${n.clientClass} } from "./client.ts";
export { CONFIG_SCHEMA, type ${n.configType}, SECRETS_SCHEMA } from "./config.ts";
export { ${n.className} } from "./plugin.ts";
`;
}
