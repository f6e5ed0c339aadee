export { DomainHealthMonitorPlugin } from "./plugin.ts";
export type { HealthMonitorOptions } from "./plugin.ts";
export { probeCertificate, probeUptime } from "./client.ts";
export type { UptimeProbe } from "./client.ts";
export { CONFIG_SCHEMA } from "./config.ts";
export type { HealthMonitorConfig, MonitoredDomain } from "./config.ts";
