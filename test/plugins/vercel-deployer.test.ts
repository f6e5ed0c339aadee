import { afterEach, describe, expect, it } from "vitest";
import { VercelDeployerPlugin } from "../../plugins/vercel-deployer/index.ts";
import { type FakeHookService, startFakeVercel } from "../fakes/build-hooks.ts";
import { benchFor, instantRetries, TENANT } from "./helpers.ts";

const HOOK = "prj_abc123/hk9Secret77";
let service: FakeHookService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

async function vercel(config: Record<string, unknown> = {}, hook = HOOK) {
  service = await startFakeVercel([HOOK]);
  const plugin = new VercelDeployerPlugin({ allowInsecureUrls: true, http: instantRetries });
  const bench = await benchFor(plugin, config, {
    deploy_hook_url: `${service.url}/v1/integrations/deploy/${hook}`,
  });
  return { bench, service };
}

const page = (domain = "acme.com", page_type = "article") => ({ domain, path: "/a", page_type });

describe("vercel-deployer", () => {
  it("builds at once on the first change, then coalesces a burst into one build after the window", async () => {
    const { bench, service } = await vercel({ coalesce_window_seconds: 120 });
    const first = await bench.publish("c1", page());
    expect(first.outcomes[0]!.status).toBe("ok");
    expect(service.builds).toHaveLength(1);

    for (const id of ["c2", "c3", "c4", "c5"]) {
      bench.clock.now += 5_000;
      await bench.kernel.dispatch(TENANT, "contentUpdated", [id, page()]);
    }
    expect(service.builds).toHaveLength(1);

    bench.clock.now += 60_000; // window not yet over since c2
    expect(await bench.runTask()).toMatchObject({ success: true, data: { triggered: false, pending: 4 } });
    expect(service.builds).toHaveLength(1);

    bench.clock.now += 120_000;
    expect(await bench.runTask()).toMatchObject({
      success: true,
      data: { triggered: true, coalesced: 4, build_id: "job_2" },
    });
    expect(service.builds).toHaveLength(2);
    expect(await bench.runTask()).toMatchObject({ success: true, data: { triggered: false, pending: 0 } });
  });

  it("with a zero window builds on every change", async () => {
    const { bench, service } = await vercel({ coalesce_window_seconds: 0 });
    await bench.publish("c1", page());
    await bench.publish("c2", page());
    await bench.kernel.dispatch(TENANT, "contentDeleted", ["c3", page()]);
    expect(service.builds).toHaveLength(3);
  });

  it("applies the domain, page type and event filters", async () => {
    const { bench, service } = await vercel({
      coalesce_window_seconds: 0,
      domains: ["Acme.com"],
      page_types: ["article"],
      trigger_on: ["published"],
    });
    await bench.publish("c1", page("other.com"));
    await bench.publish("c2", page("acme.com", "product"));
    await bench.kernel.dispatch(TENANT, "contentUpdated", ["c3", page()]);
    expect(service.builds).toHaveLength(0);
    await bench.publish("c4", page("ACME.COM"));
    expect(service.builds).toHaveLength(1);
  });

  it("sends buildCache=false when the build cache is off", async () => {
    const { bench, service } = await vercel({ build_cache: false });
    await bench.publish("c1", page());
    expect(service.builds[0]!.query.get("buildCache")).toBe("false");
  });

  it("retries a 500 and a 429 with Retry-After, then succeeds", async () => {
    const { bench, service } = await vercel();
    service.failNext.push({ status: 500 }, { status: 429, headers: { "retry-after": "2" } });
    const { outcomes } = await bench.publish("c1", page());
    expect(outcomes[0]!.status).toBe("ok");
    expect(service.builds).toHaveLength(1);
    expect(service.requests).toHaveLength(3);
  });

  it("retries a 429 without Retry-After on the client's own backoff, then succeeds", async () => {
    const { bench, service } = await vercel();
    service.failNext.push({ status: 429 }, { status: 429 });
    expect((await bench.publish("c1", page())).outcomes[0]!.status).toBe("ok");
    expect(service.requests).toHaveLength(3);
    expect(service.builds).toHaveLength(1);
  });

  it("a refused hook (404) fails the hook without retrying, keeps the change pending, and the tick retries", async () => {
    const { bench, service } = await vercel({ coalesce_window_seconds: 60 }, "prj_abc123/wrongHook");
    const { outcomes } = await bench.publish("c1", page());
    expect(outcomes[0]).toMatchObject({ status: "failed", error: expect.stringMatching(/404: Deploy Hook not found/) });
    expect(service.requests).toHaveLength(1);
    await bench.kernel.setSecrets(TENANT, "vercel-deployer", {
      deploy_hook_url: `${service.url}/v1/integrations/deploy/${HOOK}`,
    });
    bench.clock.now += 61_000;
    expect(await bench.runTask()).toMatchObject({ success: true, data: { triggered: true, coalesced: 1 } });
    expect(service.builds).toHaveLength(1);
  });

  it("never writes the hook URL (a credential) to logs or errors", async () => {
    const { bench } = await vercel({}, "prj_abc123/wrongHook");
    const { outcomes } = await bench.publish("c1", page());
    expect(outcomes[0]!.error).not.toContain("wrongHook");
    expect(bench.lines.join("\n")).not.toContain("wrongHook");
    expect(bench.lines.join("\n")).toContain("request failed");
  });

  it("refuses an http or private hook URL unless DVP_ALLOW_INSECURE_URLS is set", async () => {
    service = await startFakeVercel([HOOK]);
    const plugin = new VercelDeployerPlugin({ http: instantRetries });
    const bench = await benchFor(plugin, { coalesce_window_seconds: 0 }, {
      deploy_hook_url: `${service.url}/v1/integrations/deploy/${HOOK}`,
    });
    const { outcomes } = await bench.publish("c1", page());
    expect(outcomes[0]).toMatchObject({ status: "failed", error: expect.stringMatching(/refusing URL/) });
    expect(service.requests).toHaveLength(0);
  });

  it("requires the deploy hook secret: a tenant cannot enable it without one", async () => {
    const plugin = new VercelDeployerPlugin({ allowInsecureUrls: true });
    await expect(benchFor(plugin, {}, {})).rejects.toMatchObject({
      name: "MissingSecretsError",
      message: expect.stringMatching(/deploy_hook_url/),
      errors: [{ path: "/secrets/deploy_hook_url", message: expect.any(String) }],
    });
  });
});
