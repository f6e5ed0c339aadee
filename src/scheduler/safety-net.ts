/**
 * The tick where each tenant's authority schedules itself (Cloudflare: the tenant object's
 * alarm). It runs no job: per tick it takes the next page of tenants, cursor kept in one KV key,
 * and asks each tenant's authority to re-arm its alarm if that is missing and to re-sync the
 * schedules a deployment changed. The work of a tick is the page (one KV read, one list, one
 * write, `tenantsPerTick` requests to objects), however many tenants there are, idle or not; a
 * full rotation takes tenants ÷ tenantsPerTick ticks.
 */
import { errorMessage } from "../errors.ts";
import type { Kernel } from "../kernel.ts";
import { SAFETY_NET_CURSOR } from "./keys.ts";
import { pool } from "./pool.ts";
import type { SafetyNet, SafetyNetReport } from "./types.ts";

/**
 * 40 objects and the cursor's three KV operations stay under the Workers Free plan's 50
 * subrequests per invocation; at one tick a minute that visits 10,000 tenants in about 4 hours
 * and 100,000 in about 42. On the Paid plan raise it (1,000: 100,000 tenants in 100 minutes).
 */
export const DEFAULT_TENANTS_PER_TICK = 40;

/** Tenant objects asked at once. */
const ASKED_AT_ONCE = 10;

export async function safetyNetTick(kernel: Kernel, net: SafetyNet): Promise<SafetyNetReport> {
  const { driver, logger } = kernel;
  const limit = net.tenantsPerTick ?? DEFAULT_TENANTS_PER_TICK;
  const cursor = (await driver.get(SAFETY_NET_CURSOR)) || null;
  let page: { ids: string[]; cursor: string | null };
  try {
    page = await kernel.tenants.page(cursor, limit);
  } catch (error) {
    if (cursor === null) throw error;
    // A cursor the store no longer accepts (KV list cursors are opaque): start the rotation over.
    logger.warn("safety net: the stored cursor was refused; starting over from the first tenant", {
      error: errorMessage(error),
    });
    page = await kernel.tenants.page(null, limit);
  }
  const report: SafetyNetReport = { tenants: page.ids.length, rearmed: 0, synced: 0, failed: 0, wrapped: !page.cursor };
  await pool(page.ids, ASKED_AT_ONCE, async (tenantId) => {
    try {
      const outcome = await net.rearm(tenantId);
      if (outcome.rearmed) report.rearmed++;
      report.synced += outcome.synced.length;
    } catch (error) {
      // One tenant's trouble must not stop the page; the next rotation asks it again.
      report.failed++;
      logger.error("safety net: could not re-arm a tenant's alarm", {
        tenant_id: tenantId,
        error: errorMessage(error),
      });
    }
  });
  if (page.cursor !== cursor) {
    if (page.cursor === null) await driver.delete(SAFETY_NET_CURSOR);
    else await driver.put(SAFETY_NET_CURSOR, page.cursor);
  }
  if (report.rearmed) {
    logger.warn("safety net re-armed tenants whose alarm was missing", { rearmed: report.rearmed });
  }
  return report;
}
