/**
 * Tenants never see each other: ten tenants with the same plugin, their own secrets, config and
 * plugin storage, receiving interleaved webhooks concurrently. The invariants at risk: a hook
 * sees only its tenant's content, secrets and storage; records stay under their tenant; a
 * webhook signed for one tenant is refused by every other; a scoped admin token reads only its
 * tenant; no secret appears in any answer or log line.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { HookContext } from "../../src/context.ts";
import type { Content } from "../../src/hooks.ts";
import { ADMIN_SECRET, Rig, type TenantHandle } from "./rig.ts";
import { CountingPlugin } from "./plugins.ts";
import { signAdminToken } from "../../src/http/auth.ts";

class TenantAware extends CountingPlugin {
  override CONFIG_SCHEMA = { type: "object", properties: { label: { type: "string" } } } as const;
  override SECRETS_SCHEMA = { type: "object", properties: { api_token: { type: "string" } } } as const;
  readonly mixups: string[] = [];
  constructor() {
    super("aware");
  }
  override async contentPublished(ctx: HookContext, id: string, content: Content): Promise<void> {
    super.contentPublished(ctx, id, content);
    const [config, secrets] = await Promise.all([this.getConfig(ctx.tenantId), this.getSecrets(ctx.tenantId)]);
    const expected = ctx.tenantId.slice(0, 8);
    if (content.tenant !== ctx.tenantId) this.mixups.push(`content of ${String(content.tenant)} in ${ctx.tenantId}`);
    if (config.label !== expected) this.mixups.push(`config ${String(config.label)} in ${ctx.tenantId}`);
    if (!secrets.require("api_token").includes(expected)) {
      this.mixups.push(`secret of another tenant in ${ctx.tenantId}`);
    }
    const store = this.storage(ctx.tenantId);
    await store.put(`seen:${id}`, ctx.tenantId);
  }
}

let rig: Rig;
afterEach(() => rig?.expectNoSecretLeak());

describe("tenant isolation under concurrent load", () => {
  it("10 tenants × 20 interleaved webhooks: no content, config, secret, storage or record crosses", async () => {
    const plugin = new TenantAware();
    rig = new Rig({ plugins: () => [plugin] });
    const tenants: TenantHandle[] = [];
    for (let i = 0; i < 10; i++) {
      const tenant = await rig.tenant([]);
      await rig.kernel.setConfig(tenant.id, "aware", { label: tenant.id.slice(0, 8) });
      await rig.setSecrets(tenant.id, "aware", { api_token: `tok_${tenant.id.slice(0, 8)}_private_value` });
      await rig.kernel.enable(tenant.id, "aware");
      tenants.push(tenant);
    }
    rig.kernel.tenants.invalidate();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => rig.send(tenants[i % 10]!)));
    expect(results.every((r) => r.status === 202)).toBe(true);
    await rig.drain();
    await rig.expectEventInvariant(tenants);
    expect(plugin.mixups).toEqual([]);
    for (const tenant of tenants) {
      const keys = await plugin.storage(tenant.id).list("seen:");
      expect(keys).toHaveLength(20);
      for (const key of keys) expect(await plugin.storage(tenant.id).get(key)).toBe(tenant.id);
    }

    // Signed for one tenant, sent to another: the same 401 as any bad signature.
    for (let i = 0; i < 10; i++) {
      const other = tenants[(i + 1) % 10]!;
      expect((await rig.send(other, { secret: tenants[i]!.secret })).status).toBe(401);
    }
    // A token scoped to one tenant reads only that tenant.
    const token = await signAdminToken(ADMIN_SECRET, { tenants: [tenants[0]!.id], now: rig.clock.now() });
    for (const [tenant, status] of [[tenants[0]!, 200], [tenants[1]!, 403]] as const) {
      const res = await rig.runtime.fetch(
        new Request(`http://kernel.test/v1/tenants/${tenant.id}/plugins`, {
          headers: { authorization: `Bearer ${token}` },
        }),
      );
      expect(res.status).toBe(status);
      rig.responses.push(await res.text());
    }
    const own = JSON.parse(rig.responses.at(-2)!);
    expect(JSON.stringify(own)).toContain(tenants[0]!.id.slice(0, 8));
    for (const t of tenants.slice(1)) expect(JSON.stringify(own)).not.toContain(t.id);
  });
});

describe("the rig's own checks can fail", () => {
  it("the leak check catches a secret in a response body", async () => {
    const local = new Rig({ plugins: () => [new CountingPlugin()] });
    const tenant = await local.tenant(["counter"]);
    local.responses.push(`{"oops":"${tenant.secret}"}`);
    expect(() => local.expectNoSecretLeak()).toThrow(/leaked/);
  });

  it("the event invariant catches a missing final record", async () => {
    const local = new Rig({ plugins: () => [new CountingPlugin()] });
    const tenant = await local.tenant(["counter"]);
    local.accepted.set(tenant.id, new Map([["msg_never_sent", ["counter"]]]));
    await expect(local.expectEventInvariant([tenant])).rejects.toThrow(/final records for event msg_never_sent/);
  });
});
