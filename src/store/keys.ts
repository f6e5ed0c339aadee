/**
 * Every KV key the kernel writes, in one place. Each kind of state has its own prefix, and state
 * written by many parties is split so that each key has one writer at a time (DESIGN §5).
 */
import { HISTORY_PREFIX } from "./history-keys.ts";

export const keys = {
  /** The tenant document: record, plugin states, encrypted secrets. Read-mostly; one read per webhook. */
  tenant: (tenantId: string) => `tenant:${tenantId}`,
  tenantPrefix: "tenant:",
  /** Data a plugin stores for a tenant. */
  pluginData: (tenantId: string, plugin: string) => `data:${tenantId}:${plugin}:`,
  /** Execution history, newest first thanks to the inverted time. */
  history: (tenantId: string, invertedTime: string, id: string) => `${HISTORY_PREFIX}${tenantId}:${invertedTime}:${id}`,
  historyPrefix: (tenantId: string) => `${HISTORY_PREFIX}${tenantId}:`,
  /** A signed-out dashboard session, by SHA-256 of its token, until the token expires. */
  revokedSession: (digest: string) => `revoked-session:${digest}`,
} as const;
