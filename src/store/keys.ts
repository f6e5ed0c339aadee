/**
 * Every KV key the kernel writes, in one place. Each kind of state has its own prefix, and state
 * written by many parties is split so that each key has one writer at a time (DESIGN §5).
 */
export const keys = {
  /** The tenant document: record, plugin states, encrypted secrets. Read-mostly; one read per webhook. */
  tenant: (tenantId: string) => `tenant:${tenantId}`,
  tenantPrefix: "tenant:",
  /** Data a plugin stores for a tenant. */
  pluginData: (tenantId: string, plugin: string) => `data:${tenantId}:${plugin}:`,
  /** Execution history, newest first thanks to the inverted time. */
  history: (tenantId: string, invertedTime: string, id: string) => `hist:${tenantId}:${invertedTime}:${id}`,
  historyPrefix: (tenantId: string) => `hist:${tenantId}:`,
  /** A signed-out dashboard session, by SHA-256 of its token, until the token expires. */
  revokedSession: (digest: string) => `revoked-session:${digest}`,
} as const;

/** Zero-padded so that lexicographic order is numeric order, newest first. */
export function invertedTime(ms: number): string {
  return String(9_999_999_999_999 - Math.floor(ms)).padStart(13, "0");
}
