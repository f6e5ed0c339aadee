/**
 * The dev commands' settings, per command: an admin secret of the user's own in the environment
 * wins over the generated `.dev.vars`, and the printed dev token is signed with the secret the
 * server really uses; PORT and DVP_DEMO_UPSTREAM_PORT choose the two ports.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SignJWT } from "jose";
import { type DevProcess, freePort, startDev } from "./dev-process.ts";

// Over 32 bytes, unlike any generated one, and with what a .env reader likes to change: $NAME,
// ${…:-…}, double quotes and backslashes must reach the server as they are.
const secret = `e2e-own-$HOME_x-p\${X:-y}w-a"quote"b-back\\slash-\\$PATH-${crypto.randomUUID()}`;

function signWith(key: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tenants: "*" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject("e2e")
    .setIssuer("dvp-kernel")
    .setAudience("dvp-kernel-admin")
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(new TextEncoder().encode(key));
}

async function adminStatus(dev: DevProcess, token: string): Promise<number> {
  const res = await fetch(`${dev.ready.base}/v1/tenants/${dev.ready.tenantId}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(20_000),
  });
  await res.body?.cancel();
  return res.status;
}

for (
  const [runtime, command, args] of [
    ["npm start", process.execPath, ["scripts/dev.mjs"]],
    ["deno task dev", "npx", ["deno", "task", "dev"]],
  ] as const
) {
  describe(`${runtime} with its own settings`, () => {
    let dev: DevProcess;
    let port: number;
    let upstreamPort: number;

    beforeAll(async () => {
      port = await freePort();
      upstreamPort = await freePort();
      dev = await startDev(command, [...args], {
        PORT: String(port),
        DVP_ADMIN_JWT_SECRET: secret,
        DVP_DEMO_UPSTREAM_PORT: String(upstreamPort),
        DVP_LOG_LEVEL: "warn",
      });
    }, 150_000);

    afterAll(async () => {
      await dev?.stop();
    });

    it("serves the admin API with the environment's secret and prints a token signed with it", async () => {
      expect(await adminStatus(dev, dev.ready.token)).toBe(200);
      expect(await adminStatus(dev, await signWith(secret))).toBe(200);
      expect(await adminStatus(dev, await signWith(`${secret}-not-it`))).toBe(401);
    });

    it("listens on PORT and starts the demo upstream on DVP_DEMO_UPSTREAM_PORT", async () => {
      expect(dev.ready.base).toBe(`http://127.0.0.1:${port}`);
      expect(dev.ready.upstream).toBe(`http://127.0.0.1:${upstreamPort}`);
      const res = await fetch(`${dev.ready.upstream}/vercel/deploy-hook`, { method: "POST", body: "{}" });
      expect(res.status).toBe(201);
      await res.body?.cancel();
    });
  });
}
