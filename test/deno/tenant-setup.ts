/** A new tenant on a running kernel, with one plugin enabled, through the admin API. */
import { expect } from "expect";
import { signAdminToken } from "../fixtures/webhook-kit.ts";

/** Creates a tenant and enables `plugin` for it; returns its id and webhook secret. */
export async function tenantWithPlugin(
  baseUrl: string,
  adminSecret: string,
  plugin: string,
  slug: string,
): Promise<{ tenant: string; secret: string }> {
  const token = await signAdminToken(adminSecret, { tenants: "*" });
  const tenant = crypto.randomUUID();
  const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const created = await fetch(`${baseUrl}/v1/tenants/${tenant}`, {
    method: "PUT",
    headers: auth,
    body: JSON.stringify({ slug, plan: "pro" }),
  });
  expect(created.status).toBe(201);
  const { webhook_secret: secret } = await created.json();
  const enabled = await fetch(`${baseUrl}/v1/tenants/${tenant}/plugins/${plugin}/enable`, {
    method: "POST",
    headers: auth,
  });
  expect(enabled.status).toBe(200);
  await enabled.body?.cancel();
  return { tenant, secret };
}
