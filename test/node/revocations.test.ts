/**
 * The revocation list: keyed on the signed part of a token (every spelling of one token is the
 * same entry), remembered per isolate, and read from storage at most once per token per
 * RECHECK_MS when the token is not revoked.
 */
import { describe, expect, it } from "vitest";
import { signAdminToken } from "../../src/http/auth.ts";
import { RECHECK_MS, SessionRevocations, tokenId } from "../../src/http/revocations.ts";
import { createMemoryDriver } from "../../src/backends/memory.ts";
import { respelled } from "./token-spelling.ts";

const SECRET = "revocation-test-secret-0123456789abcdef";

function counted() {
  const driver = createMemoryDriver();
  let reads = 0;
  const get = driver.get.bind(driver);
  driver.get = (key: string) => {
    reads++;
    return get(key);
  };
  return { driver, reads: () => reads };
}

describe("revocations", () => {
  it("one token, however its signature's spare bits are spelled, has one id", async () => {
    const token = await signAdminToken(SECRET, { tenants: "*" });
    expect(await tokenId(respelled(token))).toBe(await tokenId(token));
    const other = await signAdminToken(SECRET, { tenants: "*", expiresInSeconds: 3601 });
    expect(await tokenId(other)).not.toBe(await tokenId(token));
  });

  it("reads storage once per token per isolate while it is not revoked, again after RECHECK_MS", async () => {
    let now = Date.UTC(2026, 0, 1);
    const { driver, reads } = counted();
    const here = new SessionRevocations(driver, () => now);
    const there = new SessionRevocations(driver, () => now);
    const token = await signAdminToken(SECRET, { tenants: "*", now });
    expect(await here.isRevoked(token)).toBe(false);
    expect(await here.isRevoked(token)).toBe(false);
    expect(reads()).toBe(1);
    await there.revoke(token);
    expect(await there.isRevoked(token)).toBe(true);
    expect(reads()).toBe(1);
    // The other isolate trusts its answer until RECHECK_MS has passed, then reads the revocation.
    now += RECHECK_MS - 1;
    expect(await here.isRevoked(token)).toBe(false);
    now += 1;
    expect(await here.isRevoked(token)).toBe(true);
    expect(await here.isRevoked(respelled(token))).toBe(true);
    expect(reads()).toBe(2);
  });
});
