import { describe, expect, it } from "vitest";
import { eventKeys } from "../../src/events/keys.ts";
import { DUE_PREFIX, SAFETY_NET_CURSOR, schedKeys } from "../../src/scheduler/keys.ts";
import { coordinationTenant } from "../../src/store/coordination-keys.ts";
import { keys } from "../../src/store/keys.ts";

const TENANT = "1b4e28ba-2fa1-41d2-883f-0016d3cca427";

describe("coordinationTenant: which keys belong to a tenant's authority", () => {
  it("every key the event pipeline builds for a tenant goes to that tenant", () => {
    for (const [name, build] of Object.entries(eventKeys)) {
      if (typeof build !== "function") continue;
      const key = (build as (...args: string[]) => string)(TENANT, "evt-1", "plugin", "x");
      expect([name, coordinationTenant(key)]).toEqual([name, TENANT]);
    }
  });

  it("job state, slot claims, locks, health and execution history go to their tenant", () => {
    for (
      const key of [
        schedKeys.state(TENANT, "p.task"),
        schedKeys.claim(TENANT, "p.task", Date.UTC(2026, 0, 1), 1),
        schedKeys.lock(TENANT, "p.task"),
        schedKeys.healthCheck(TENANT, "p", "http", "https://example.test"),
        keys.history(TENANT, "0000000000001", "task:p:id"),
      ]
    ) expect(coordinationTenant(key)).toBe(TENANT);
  });

  it("read-mostly state and keys that span tenants stay in the shared store", () => {
    for (
      const key of [
        keys.tenant(TENANT),
        keys.pluginData(TENANT, "p"),
        schedKeys.due(1, TENANT, "p.task"),
        SAFETY_NET_CURSOR,
        DUE_PREFIX,
        eventKeys.inboxPrefix,
        keys.revokedSession("digest"),
      ]
    ) expect(coordinationTenant(key)).toBeNull();
  });
});
