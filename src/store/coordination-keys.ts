/**
 * Which keys are coordination state (DESIGN §5), and whose: the tenant id in them. These belong
 * to the tenant's authority (a Durable Object on Cloudflare); every other key (tenant documents,
 * plugin config, sealed secrets, plugin data, the Deno tick's due index, the Cloudflare safety net's
 * cursor) is read-mostly state for KV.
 *
 * Each prefix below is followed by the tenant id (a UUID, 36 characters) and a `:`.
 */
const TENANT_PREFIXES = [
  "evt:", // stored events: the dedupe claim and the payload
  "inbox:", // events with plugins not yet final
  "evdone:", // per-(event, plugin) ledger
  "evtry:", // per-(event, plugin) attempts
  "evreplay:", // replays applied
  "sched:state:", // job state (next due, lease, retry)
  "sched:slot:", // slot claims
  "sched:lock:", // run locks
  "sched:hc:", // health history
  "hist:", // execution history
] as const;

const UUID_LENGTH = 36;

/**
 * The tenant whose authority holds `key` (or every key under the prefix `key`), or null for
 * read-mostly state. A prefix that stops before the tenant id's `:` (e.g. `inbox:` alone) spans
 * tenants: null, it is not any one authority's.
 */
export function coordinationTenant(key: string): string | null {
  for (const prefix of TENANT_PREFIXES) {
    if (!key.startsWith(prefix)) continue;
    const end = prefix.length + UUID_LENGTH;
    if (key.length <= end || key[end] !== ":") return null;
    return key.slice(prefix.length, end).toLowerCase();
  }
  return null;
}
