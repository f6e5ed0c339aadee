export { AhrefsIntegrationPlugin } from "./plugin.ts";
export type { AhrefsOptions } from "./plugin.ts";
export { AHREFS_API_BASE, AhrefsClient, AhrefsError } from "./client.ts";
export type { AhrefsErrorKind, OrganicKeyword, TargetQuery } from "./client.ts";
export { loadSnapshots, snapshotKey } from "./snapshots.ts";
export type { Snapshot } from "./snapshots.ts";
export { CONFIG_SCHEMA, SECRETS_SCHEMA } from "./config.ts";
export type { AhrefsConfig, AhrefsFeature } from "./config.ts";
