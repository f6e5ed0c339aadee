/**
 * The bundled plugins. The edge has no file system to discover plugins from, so this list is the
 * registry's source; a test fails when a folder under plugins/ is missing here.
 */
import type { Plugin } from "../src/index.ts";
import type { TcpConnect } from "../src/net/tcp.ts";

export interface BundledPluginOptions {
  /**
   * Raw TCP for the TLS certificate check of domain-health-monitor: `connect` from
   * `cloudflare:sockets` on Workers, a `Deno.connect` wrapper on Deno. Without it the
   * certificate check reports "degraded: no socket API".
   */
  connect?: TcpConnect;
}

/** One fresh instance of each reference plugin (an instance belongs to one kernel). */
export function bundledPlugins(_options: BundledPluginOptions = {}): Plugin[] {
  return [];
}
