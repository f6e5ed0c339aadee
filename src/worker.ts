/** wrangler's main: the Cloudflare adapter and the tenant's Durable Object class. */
export { default, TenantObject } from "./adapters/cloudflare.ts";
