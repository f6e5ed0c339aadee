/**
 * What the admin API's guard costs: an authenticated GET (HS256 verification with jose, scope
 * check, cached tenant read, snake_case view) against the same Hono app answering a bare route.
 */
import { Hono } from "hono";
import { bench, describe } from "vitest";
import { adminFixture, TENANT_A } from "../suites/admin-fixtures.ts";

const f = await adminFixture();
const bare = new Hono();
bare.get("/v1/ping", (c) => c.json({ ok: true }));
const headers = { authorization: `Bearer ${f.platform}` };

describe("admin GET", () => {
  bench("bare Hono route", async () => {
    await (await bare.request("http://admin.test/v1/ping")).text();
  });
  bench("GET /v1/tenants/{id} with a verified HS256 token", async () => {
    const response = await f.app.request(`http://admin.test/v1/tenants/${TENANT_A}`, { headers });
    if (response.status !== 200) throw new Error(`status ${response.status}`);
    await response.text();
  });
  bench("GET /v1/tenants/{id} without a token (401)", async () => {
    await (await f.app.request(`http://admin.test/v1/tenants/${TENANT_A}`)).text();
  });
});
