/**
 * Which keys are coordination state (DESIGN §5), and whose: the tenant id in them. These belong
 * to the tenant's authority (a Durable Object on Cloudflare); every other key (tenant documents,
 * plugin config, sealed secrets, plugin data, the Deno tick's due index, the Cloudflare safety net's
 * cursor) is read-mostly state for KV.
 *
 * The prefixes are read off the key modules' own builders (each key starts with its prefix, then
 * the tenant id, a UUID of 36 characters, and a `:`), so a key's spelling lives in one place.
 */
import { eventKeys } from "../events/keys.ts";
import { schedKeys } from "../scheduler/keys.ts";
import { keys } from "./keys.ts";

const SAMPLE_TENANT = "00000000-0000-4000-8000-000000000000";
const TENANT_PREFIXES = [
  eventKeys.event(SAMPLE_TENANT, "e"), // stored events: the dedupe claim and the payload
  eventKeys.inbox(SAMPLE_TENANT, "e"), // events with plugins not yet final
  eventKeys.done(SAMPLE_TENANT, "e", "p"), // per-(event, plugin) ledger
  eventKeys.tries(SAMPLE_TENANT, "e", "p"), // per-(event, plugin) attempts
  eventKeys.replay(SAMPLE_TENANT, "e", "r"), // replays applied
  schedKeys.state(SAMPLE_TENANT, "j"), // job state (next due, lease, retry)
  schedKeys.claim(SAMPLE_TENANT, "j", 0, 1), // slot claims
  schedKeys.lock(SAMPLE_TENANT, "j"), // run locks
  schedKeys.healthPrefix(SAMPLE_TENANT), // health history
  keys.historyPrefix(SAMPLE_TENANT), // execution history
].map((key) => key.slice(0, key.indexOf(SAMPLE_TENANT)));

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
