/** lintPlugin: the code half of the production checklist, one problem per finding. */
import { describe, expect, it } from "vitest";
import { type ContentLifecycleHooks, type HookContext, Plugin } from "../../src/index.ts";
import { lintPlugin, looksSecret } from "../../src/testing/lint-plugin.ts";
import { MyPlugin } from "../fixtures/my-plugin.ts";

class Good extends Plugin implements ContentLifecycleHooks {
  readonly name = "good-plugin";
  readonly version = "1.2.3";
  override description = "Does one thing well";
  override author = "Tests";
  override kernelVersion = "^1.0.0";
  override CONFIG_SCHEMA = {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    properties: {
      key_prefix: { type: "string", title: "Key prefix" },
      token_url: { type: "string", title: "Token URL" },
    },
  } as const;
  override SECRETS_SCHEMA = {
    type: "object",
    properties: { api_token: { type: "string", title: "API token" } },
  } as const;
  contentPublished(_ctx: HookContext, _id: string): void {}
}

describe("lintPlugin", () => {
  it("passes a complete plugin", () => {
    expect(lintPlugin(new Good())).toEqual([]);
  });

  it("reports each metadata, schema, secrets, hooks and compatibility problem on its own line", () => {
    class Bad extends Plugin {
      readonly name = "Bad_Name";
      readonly version = "1.0";
      override CONFIG_SCHEMA = {
        type: "object",
        properties: {
          api_key: { type: "string", title: "API key" },
          deploy_hook_url: { type: "string" },
          nested: { type: "object", title: "Nested", properties: { password: { type: "string" } } },
        },
      } as const;
      override SECRETS_SCHEMA = { type: "object", properties: { port: { type: "integer", title: "Port" } } } as const;
      dvp_content_published(): void {}
      onContentPublished(): void {}
      executeScheduledTask(_a: unknown, _b: unknown, _c: unknown, _d: unknown): Promise<never> {
        throw new Error("unused");
      }
    }
    const lines = lintPlugin(new Bad()).map((p) => `${p.area}: ${p.message}`);
    expect(lines).toEqual([
      'metadata: name "Bad_Name" must be a lowercase slug (a-z, 0-9, single dashes), at most 64 characters',
      'metadata: version "1.0" is not a semantic version (e.g. 1.0.0)',
      "metadata: description is empty: say what the plugin does in one sentence",
      "metadata: author is empty",
      "secrets: CONFIG_SCHEMA property /api_key looks like a credential: move it to SECRETS_SCHEMA (config is public)",
      "secrets: CONFIG_SCHEMA property /deploy_hook_url looks like a credential: move it to SECRETS_SCHEMA (config is public)",
      "secrets: CONFIG_SCHEMA property /nested/password looks like a credential: move it to SECRETS_SCHEMA (config is public)",
      'secrets: SECRETS_SCHEMA property "port" must be of type string',
      'schema: CONFIG_SCHEMA property "deploy_hook_url" has no title: the admin form uses it as the label',
      "hooks: executeScheduledTask needs registerScheduledTasks as well",
      "hooks: dvp_content_published is the Python name: implement contentPublished",
      "hooks: method onContentPublished looks like the hook contentPublished, which the kernel calls instead",
      'compatibility: kernelVersion is not set: declare the kernel range you support, e.g. "^1.0.0"',
    ]);
  });

  it("flags invalid schemas, too many hook parameters, no hooks, and an unsatisfied kernel range", () => {
    class Odd extends Good {
      override CONFIG_SCHEMA = { type: "array" } as never;
      override kernelVersion = "^2.0.0";
      override contentPublished(_ctx: HookContext, _id: string, _c?: unknown, _m?: unknown, _extra?: unknown): void {}
    }
    const lines = lintPlugin(new Odd()).map((p) => `${p.area}: ${p.message}`);
    expect(lines).toEqual([
      'schema: CONFIG_SCHEMA is not a valid draft-07 object schema: /type must be "object"',
      "hooks: contentPublished declares 5 parameters; the protocol passes at most 4 (ctx first)",
      'compatibility: kernelVersion "^2.0.0" is not satisfied by this kernel (1.0.0)',
    ]);
    class Idle extends Plugin {
      readonly name = "idle";
      readonly version = "1.0.0";
      override description = "x";
      override author = "y";
      override kernelVersion = "not a range";
    }
    expect(lintPlugin(new Idle()).map((p) => p.message)).toEqual([
      "implements no hook protocol: add contentPublished, beforeContentCreate, registerScheduledTasks/executeScheduledTask, …",
      'kernelVersion "not a range" is not a semver range',
    ]);
  });

  it("reports the registry's own refusals when nothing more specific was found", () => {
    class Prioritised extends Good {
      override priority = Number.POSITIVE_INFINITY;
    }
    expect(lintPlugin(new Prioritised())).toEqual([{
      area: "registry",
      message: "plugin good-plugin: priority for beforeContentCreate must be a finite number",
    }]);
  });

  it("leaves a plugin registered with a kernel working", async () => {
    const { createTestKernel } = await import("../../src/testing/index.ts");
    class Logging extends Good {
      override contentPublished(ctx: HookContext, id: string): void {
        this.logger.info(`published ${id}`, { tenant_id: ctx.tenantId }); // needs its kernel
      }
    }
    const t = await createTestKernel({ plugins: [new Logging()], tenants: [{ plugins: { "good-plugin": {} } }] });
    expect(lintPlugin(t.plugin("good-plugin"))).toEqual([]);
    const { outcomes } = await t.publish(t.tenantId, "c-1", {});
    expect(outcomes).toMatchObject([{ plugin: "good-plugin", status: "ok" }]);
    expect(t.logs.find({ msg: "published c-1" })).toHaveLength(1);
  });

  it("leaves the plugin registrable afterwards", () => {
    const plugin = new Good();
    lintPlugin(plugin);
    expect(() => plugin.attach({} as never)).not.toThrow();
  });

  it("accepts a credential-looking config field marked x-dvp-public, and only that one", () => {
    const plugin: Plugin = new Good();
    plugin.CONFIG_SCHEMA = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: {
        site_key: { type: "string", title: "reCAPTCHA site key (public)", "x-dvp-public": true },
        api_key: { type: "string", title: "API key" },
      },
    };
    expect(lintPlugin(plugin).map((p) => p.message)).toEqual([
      "CONFIG_SCHEMA property /api_key looks like a credential: move it to SECRETS_SCHEMA (config is public)",
    ]);
  });

  it("the seed's MyPlugin (test fixture) only lacks its kernel range", () => {
    expect(lintPlugin(new MyPlugin()).map((p) => p.area)).toEqual(["compatibility"]);
  });
});

describe("looksSecret", () => {
  it.each([
    "api_key",
    "apiKey",
    "access_key_id",
    "secret_access_key",
    "auth_token",
    "token",
    "password",
    "db_passwd",
    "client_secret",
    "credentials",
    "service_account_credentials",
    "deploy_hook_url",
    "webhook_url",
    "privateKey",
    "key",
    "signing_key",
    "service_account_json",
    "bearer",
    "session_cookie",
  ])("%s is a credential", (name) => expect(looksSecret(name)).toBe(true));

  it.each([
    "key_prefix",
    "token_url",
    "token_uri",
    "api_endpoint",
    "domains",
    "cache_control",
    "keywords",
    "monkey",
    "hook_events",
    "distribution_id",
    "primary_key_field",
  ])("%s is public", (name) => expect(looksSecret(name)).toBe(false));
});
