/** The kernel a plugin instance is registered with, if any (checks put it back after borrowing the plugin). */
import type { Plugin, PluginHost } from "../plugin.ts";

export function currentHost(plugin: Plugin): PluginHost | undefined {
  try {
    return (plugin as unknown as { host: PluginHost }).host;
  } catch {
    return undefined; // not registered with a kernel
  }
}
