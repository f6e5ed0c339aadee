/** wrangler's main: the Cloudflare adapter. */
export { default } from "./adapters/cloudflare.ts";
