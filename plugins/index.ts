/**
 * The bundled plugins. The edge has no file system to discover plugins from, so this list is the
 * registry's source; a test fails when a folder under plugins/ is missing here.
 */
import type { Plugin } from "@dvp/kernel";
import type { TcpConnect } from "@dvp/kernel/client";
import type { ReferencePluginOptions } from "./_shared/http.ts";
import { AhrefsIntegrationPlugin } from "./ahrefs-integration/index.ts";
import { DomainHealthMonitorPlugin } from "./domain-health-monitor/index.ts";
import { GscIntegrationPlugin } from "./gsc-integration/index.ts";
import { NetlifyDeployerPlugin } from "./netlify-deployer/index.ts";
import { S3StaticDeployerPlugin } from "./s3-static-deployer/index.ts";
import { VercelDeployerPlugin } from "./vercel-deployer/index.ts";

export interface BundledPluginOptions extends ReferencePluginOptions {
  /**
   * Raw TCP for the TLS certificate check of domain-health-monitor: `connect` from
   * `cloudflare:sockets` on Workers, a `Deno.connect` wrapper on Deno. Without it the
   * certificate check reports "degraded: expiry unknown, no TCP socket API".
   */
  connect?: TcpConnect;
}

/**
 * One fresh instance of each reference plugin (an instance belongs to one kernel).
 * `allowInsecureUrls` is the deployment's `DVP_ALLOW_INSECURE_URLS=true` (local development
 * only): plugins then accept http and private/loopback URLs from tenant config and secrets.
 */
export function bundledPlugins(options: BundledPluginOptions = {}): Plugin[] {
  const { connect, ...common } = options;
  return [
    new S3StaticDeployerPlugin(common),
    new VercelDeployerPlugin(common),
    new NetlifyDeployerPlugin(common),
    new GscIntegrationPlugin(common),
    new AhrefsIntegrationPlugin(common),
    new DomainHealthMonitorPlugin({ ...common, ...(connect ? { connect } : {}) }),
  ];
}

export {
  AhrefsIntegrationPlugin,
  DomainHealthMonitorPlugin,
  GscIntegrationPlugin,
  NetlifyDeployerPlugin,
  S3StaticDeployerPlugin,
  VercelDeployerPlugin,
};
export type { ReferencePluginOptions };
