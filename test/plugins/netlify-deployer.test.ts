import { afterEach, describe, expect, it } from "vitest";
import { NetlifyDeployerPlugin } from "../../plugins/netlify-deployer/index.ts";
import { type FakeHookService, startFakeNetlify } from "../fakes/build-hooks.ts";
import { benchFor, instantRetries, TENANT } from "./helpers.ts";

const NETLIFY_HOOK = "5f2d1c0b9a8e7d6c5b4a3f2e";
let service: FakeHookService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

const page = (domain = "acme.com", page_type = "article") => ({ domain, path: "/a", page_type });

describe("netlify-deployer", () => {
  it("posts the build hook with branch, title and a JSON payload, coalescing a burst", async () => {
    service = await startFakeNetlify([NETLIFY_HOOK]);
    const plugin = new NetlifyDeployerPlugin({ allowInsecureUrls: true, http: instantRetries });
    const bench = await benchFor(plugin, { coalesce_window_seconds: 60, trigger_branch: "main" }, {
      build_hook_url: `${service.url}/build_hooks/${NETLIFY_HOOK}`,
    });
    await bench.publish("c1", page());
    bench.clock.now += 1_000;
    await bench.publish("c2", page());
    await bench.kernel.dispatch(TENANT, "contentDeleted", ["c3", page()]);
    expect(service.builds).toHaveLength(1);
    expect(service.builds[0]!.query.get("trigger_branch")).toBe("main");
    expect(service.builds[0]!.query.get("trigger_title")).toBe("DVP CMS: 1 content change(s)");
    bench.clock.now += 61_000;
    expect(await bench.runTask()).toMatchObject({ success: true, data: { triggered: true, coalesced: 2 } });
    expect(service.builds[1]!.query.get("trigger_title")).toBe("DVP CMS: 2 content change(s)");
    expect(JSON.parse(service.builds[1]!.body)).toEqual({
      source: "dvp-cms",
      tenant: "acme",
      changes: 2,
      content_ids: ["c2", "c3"],
    });
  });

  it("reports an unknown hook (404) as a failed hook and a failed tick", async () => {
    service = await startFakeNetlify([NETLIFY_HOOK]);
    const plugin = new NetlifyDeployerPlugin({ allowInsecureUrls: true, http: instantRetries });
    const bench = await benchFor(plugin, { coalesce_window_seconds: 60 }, {
      build_hook_url: `${service.url}/build_hooks/000000000000000000000000`,
    });
    expect((await bench.publish("c1", page())).outcomes[0]).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/HTTP 404/),
    });
    bench.clock.now += 61_000;
    expect(await bench.runTask()).toMatchObject({ success: false, errorMessage: expect.stringMatching(/HTTP 404/) });
  });

  it("retries a 503, sends no branch when none is configured, and keeps the hook id out of logs", async () => {
    service = await startFakeNetlify([NETLIFY_HOOK]);
    service.failNext.push({ status: 503, headers: { "retry-after": "1" } });
    const plugin = new NetlifyDeployerPlugin({ allowInsecureUrls: true, http: instantRetries });
    const bench = await benchFor(plugin, { coalesce_window_seconds: 0 }, {
      build_hook_url: `${service.url}/build_hooks/${NETLIFY_HOOK}`,
    });
    expect((await bench.publish("c1", page())).outcomes[0]!.status).toBe("ok");
    expect(service.requests).toHaveLength(2);
    expect(service.builds[0]!.query.has("trigger_branch")).toBe(false);
    expect(bench.lines.join("\n")).not.toContain(NETLIFY_HOOK);
  });

  it("retries a 429 and a 503 without Retry-After; an unknown hook is refused before a queued failure", async () => {
    service = await startFakeNetlify([NETLIFY_HOOK]);
    service.failNext.push({ status: 429 }, { status: 503 });
    const plugin = new NetlifyDeployerPlugin({ allowInsecureUrls: true, http: instantRetries });
    const bench = await benchFor(plugin, { coalesce_window_seconds: 0 }, {
      build_hook_url: `${service.url}/build_hooks/${NETLIFY_HOOK}`,
    });
    expect((await bench.publish("c1", page())).outcomes[0]!.status).toBe("ok");
    expect(service.requests).toHaveLength(3);
    service.failNext.push({ status: 500 });
    const unknown = await fetch(`${service.url}/build_hooks/000000000000000000000000`, { method: "POST" });
    expect(unknown.status).toBe(404);
    expect(service.failNext).toHaveLength(1);
  });

  it("a tick with nothing pending reads no secret and calls nothing", async () => {
    service = await startFakeNetlify([NETLIFY_HOOK]);
    const plugin = new NetlifyDeployerPlugin({ allowInsecureUrls: true, http: instantRetries });
    const bench = await benchFor(plugin, {}, { build_hook_url: `${service.url}/build_hooks/${NETLIFY_HOOK}` });
    expect(await bench.runTask()).toEqual({ success: true, data: { triggered: false, pending: 0 } });
    expect(service.requests).toHaveLength(0);
  });
});
