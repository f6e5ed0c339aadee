/**
 * The kernel core, run unchanged on Node, inside workerd and under Deno: registration, the
 * guide's MyPlugin end to end, action-hook isolation, the filter chain, contexts and logging.
 */
import {
  type Content,
  type ContentFilterHooks,
  type ContentLifecycleHooks,
  FilterRejectedError,
  type HookContext,
  KernelError,
  type LogRecord,
  Plugin,
  PluginError,
} from "../../src/index.ts";
import { createKernel, LogConfig } from "../../src/entries/runtime.ts";
import type { HookOutcome } from "../../src/dispatch.ts";
import { satisfies } from "../../src/semver.ts";
import { MyPlugin } from "../fixtures/my-plugin.ts";
import type { Harness } from "./harness.ts";

export const TENANT_A = "11111111-1111-4111-8111-111111111111";
export const TENANT_B = "22222222-2222-4222-8222-222222222222";

function captureLogs() {
  const records: LogRecord[] = [];
  const lines: string[] = [];
  return { records, lines, sink: (r: LogRecord, line: string) => (records.push(r), lines.push(line)) };
}

async function kernelWith(plugins: Plugin[], opts: { hookTimeoutMs?: number } = {}) {
  const logs = captureLogs();
  const kernel = createKernel({ plugins, log: { sink: logs.sink }, hookTimeoutMs: opts.hookTimeoutMs });
  await kernel.putTenant(TENANT_A, { slug: "acme-corp", plan: "pro" });
  return { kernel, logs };
}

class Recorder extends Plugin implements ContentLifecycleHooks {
  readonly version = "1.0.0";
  calls: string[] = [];
  constructor(readonly name: string, private readonly behaviour: "ok" | "throw" | "hang" | "sync-throw" = "ok") {
    super();
  }
  contentPublished(_ctx: HookContext, contentId: string): Promise<void> {
    this.calls.push(contentId);
    if (this.behaviour === "sync-throw") throw new Error(`${this.name} exploded`);
    if (this.behaviour === "throw") return Promise.reject(new Error(`${this.name} failed on purpose`));
    if (this.behaviour === "hang") return new Promise(() => {});
    return Promise.resolve();
  }
}

class Filter extends Plugin implements ContentFilterHooks {
  readonly version = "1.0.0";
  constructor(
    readonly name: string,
    override priority: number,
    private readonly act: (content: Content) => Content | undefined,
    readonly ran: string[],
  ) {
    super();
  }
  beforeContentCreate(_ctx: HookContext, content: Content): Content {
    this.ran.push(this.name);
    return this.act(content) as Content;
  }
}

export function coreSuite(t: Harness): void {
  const { describe, it, expect } = t;

  describe("the guide's MyPlugin", () => {
    it("registers, is enabled for a tenant and receives contentPublished with a frozen HookContext", async () => {
      const plugin = new MyPlugin();
      const { kernel, logs } = await kernelWith([plugin]);
      expect([...kernel.registry.require("my-plugin").hooks]).toEqual(["contentPublished"]);
      await kernel.setConfig(TENANT_A, "my-plugin", { api_endpoint: "https://api.example.com" });
      await kernel.enable(TENANT_A, "my-plugin");

      const { outcomes } = await kernel.dispatch(TENANT_A, "contentPublished", ["content-123", {
        domain: "example.com",
      }], {
        correlationId: "corr-1",
      });
      expect(outcomes.map((o: HookOutcome) => [o.plugin, o.status])).toEqual([["my-plugin", "ok"]]);
      expect(plugin.seen).toHaveLength(1);
      const { ctx, contentId, config } = plugin.seen[0]!;
      expect(contentId).toBe("content-123");
      expect(config).toEqual({ api_endpoint: "https://api.example.com", timeout_seconds: 30 });
      expect(Object.isFrozen(ctx)).toBe(true);
      expect(Object.isFrozen(ctx.metadata)).toBe(true);
      expect(ctx.tenantId).toBe(TENANT_A);
      expect(ctx.tenantSlug).toBe("acme-corp");
      expect(ctx.tenantPlan).toBe("pro");
      expect(ctx.correlationId).toBe("corr-1");
      expect(() => {
        (ctx as { tenantSlug: string }).tenantSlug = "other";
      }).toThrow();
      const line = logs.records.find((r) => r.msg === "Content published: content-123");
      expect(line).toMatchObject({ level: "info", plugin: "my-plugin", tenant_id: TENANT_A, domain: "example.com" });
    });

    it("receives nothing while disabled, and finds its config intact when re-enabled", async () => {
      const plugin = new MyPlugin();
      const { kernel } = await kernelWith([plugin]);
      await kernel.setConfig(TENANT_A, "my-plugin", { api_endpoint: "https://api.example.com", timeout_seconds: 60 });
      await kernel.enable(TENANT_A, "my-plugin");
      await kernel.disable(TENANT_A, "my-plugin");
      const { outcomes } = await kernel.dispatch(TENANT_A, "contentPublished", ["c1", {}]);
      expect(outcomes).toEqual([]);
      expect(plugin.seen).toHaveLength(0);
      await kernel.enable(TENANT_A, "my-plugin");
      await kernel.dispatch(TENANT_A, "contentPublished", ["c2", {}]);
      expect(plugin.seen.map((s) => s.config.timeout_seconds)).toEqual([60]);
    });

    it("treats undefined members as absent, as JSON does", async () => {
      const { kernel } = await kernelWith([new MyPlugin()]);
      const stored = await kernel.setConfig(TENANT_A, "my-plugin", {
        api_endpoint: "https://a.example",
        timeout_seconds: undefined,
      });
      expect(stored).toEqual({ api_endpoint: "https://a.example", timeout_seconds: 30 });
    });

    it("cannot be enabled until its required config is set", async () => {
      const { kernel } = await kernelWith([new MyPlugin()]);
      await expect(kernel.enable(TENANT_A, "my-plugin")).rejects.toMatchObject({
        code: "ERR_VALIDATION",
        errors: [{ path: "/api_endpoint", message: "is required" }],
      });
    });
  });

  describe("action hooks are isolated", () => {
    it("a plugin that throws and one that never resolves do not stop a third; the outcome names both", async () => {
      const thrower = new Recorder("thrower", "throw");
      const hanger = new Recorder("hanger", "hang");
      const syncThrower = new Recorder("sync-thrower", "sync-throw");
      const healthy = new Recorder("healthy");
      const { kernel, logs } = await kernelWith([thrower, hanger, syncThrower, healthy], { hookTimeoutMs: 50 });
      for (const name of ["thrower", "hanger", "sync-thrower", "healthy"]) await kernel.enable(TENANT_A, name);

      const { outcomes } = await kernel.dispatch(TENANT_A, "contentPublished", ["c-9", {}], {
        correlationId: "trace-9",
      });
      const byName = Object.fromEntries(outcomes.map((o: HookOutcome) => [o.plugin, o]));
      expect(byName.thrower).toMatchObject({ status: "failed", error: "thrower failed on purpose" });
      expect(byName.hanger).toMatchObject({ status: "timed_out" });
      expect(byName["sync-thrower"]).toMatchObject({ status: "failed", error: "sync-thrower exploded" });
      expect(byName.healthy).toMatchObject({ status: "ok" });
      expect(healthy.calls).toEqual(["c-9"]);
      const errors = logs.records.filter((r) => r.level === "error");
      expect(errors.map((r) => r.plugin).sort()).toEqual(["hanger", "sync-thrower", "thrower"]);
      for (const r of errors) {
        expect(r).toMatchObject({ tenant_id: TENANT_A, hook: "contentPublished", correlation_id: "trace-9" });
      }
    });

    it("a plugin that throws something unprintable fails alone: no unhandled rejection, the others still run", async () => {
      // A circular object without a prototype: JSON.stringify and String() both throw on it.
      const unprintable = Object.create(null) as Record<string, unknown>;
      unprintable.self = unprintable;
      const ran: string[] = [];
      const make = (name: string, hook: () => unknown) =>
        new (class extends Plugin implements ContentLifecycleHooks {
          readonly name = name;
          readonly version = "1.0.0";
          contentPublished() {
            ran.push(name);
            return hook() as Promise<void>;
          }
        })();
      const { kernel } = await kernelWith([
        make("sync-odd", () => {
          throw unprintable;
        }),
        make("async-odd", () => Promise.reject(unprintable)),
        make("after", () => Promise.resolve()),
      ], { hookTimeoutMs: 5_000 });
      for (const name of ["sync-odd", "async-odd", "after"]) await kernel.enable(TENANT_A, name);
      const { outcomes } = await kernel.dispatch(TENANT_A, "contentPublished", ["c-1", {}]);
      expect(ran).toEqual(["sync-odd", "async-odd", "after"]);
      expect(outcomes.map((o: HookOutcome) => [o.plugin, o.status])).toEqual([
        ["sync-odd", "failed"],
        ["async-odd", "failed"],
        ["after", "ok"],
      ]);
      expect(outcomes[0]!.error).toBe("an unprintable object");
    });
  });

  describe("ctx.signal", () => {
    /** Calls its fetch with ctx.signal and records when the call ends and why. */
    class Caller extends Plugin implements ContentLifecycleHooks, ContentFilterHooks {
      readonly version = "1.0.0";
      ended: string[] = [];
      seenAborted: boolean[] = [];
      signals: AbortSignal[] = [];
      constructor(readonly name: string, private readonly hang: boolean) {
        super();
      }
      async contentPublished(ctx: HookContext): Promise<void> {
        this.signals.push(ctx.signal!);
        this.seenAborted.push(ctx.signal!.aborted);
        await this.call(ctx);
      }
      async beforeContentCreate(ctx: HookContext, content: Content): Promise<Content> {
        this.seenAborted.push(ctx.signal!.aborted);
        await this.call(ctx);
        return content;
      }
      private async call(ctx: HookContext): Promise<void> {
        if (!this.hang) return;
        try {
          await this.fetch("https://upstream.example/slow", { signal: ctx.signal });
          this.ended.push("answered");
        } catch (error) {
          this.ended.push(ctx.signal!.aborted ? `aborted: ${(error as Error).message}` : "failed");
        }
      }
    }
    /** A fetch that answers only when its signal aborts (then it rejects, as fetch does). */
    const hangingFetch: typeof fetch = (_input, init) =>
      new Promise((_, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal!.reason), { once: true });
      });
    /** A kernel whose plugins' requests hang until aborted, hooks limited to 40 ms, these plugins enabled. */
    async function kernelOf(...plugins: Caller[]) {
      const kernel = createKernel({ plugins, fetch: hangingFetch, hookTimeoutMs: 40, log: { sink: () => {} } });
      await kernel.putTenant(TENANT_A, { slug: "acme-corp", plan: "pro" });
      for (const plugin of plugins) await kernel.enable(TENANT_A, plugin.name);
      return kernel;
    }

    it("aborts when a dispatch ends with a plugin timed out, so its request stops; the next starts live", async () => {
      const slow = new Caller("slow", true);
      const quick = new Caller("quick", false);
      const kernel = await kernelOf(slow, quick);
      const { ctx, outcomes } = await kernel.dispatch(TENANT_A, "contentPublished", ["c-1", {}]);
      expect(outcomes.map((o: HookOutcome) => o.status)).toEqual(["timed_out", "ok"]);
      await new Promise((r) => setTimeout(r, 0));
      expect(slow.ended).toEqual(["aborted: timed out after 40 ms"]); // its request stopped
      expect(slow.signals[0]!.aborted).toBe(true);
      // The caller's context is never aborted: handed to the next dispatch (a retry), it starts live.
      expect(ctx.signal!.aborted).toBe(false);
      await kernel.disable(TENANT_A, "slow");
      const again = await kernel.runAction(kernel.registry.implementing("contentPublished"), "contentPublished", ctx, [
        "c-2",
        {},
      ]);
      expect(again.map((o: HookOutcome) => o.status)).toEqual(["timed_out", "ok"]);
      expect(quick.signals[1]).not.toBe(quick.signals[0]);
      expect(quick.seenAborted).toEqual([false, false]); // every call started with a live signal
      // A dispatch that ends in time leaves its signal alone.
      const fine = await kernel.dispatch(TENANT_A, "contentPublished", ["c-3", {}]);
      expect(fine.outcomes.map((o: HookOutcome) => o.status)).toEqual(["ok"]);
      expect(quick.signals[2]!.aborted).toBe(false);
    });

    it("aborts a filter's signal when it times out; a fail-open one lets the next run with a live one", async () => {
      const slow = new Caller("slow-filter", true);
      slow.failOpen = true;
      slow.priority = 1;
      const next = new Caller("next-filter", false);
      next.priority = 2;
      const kernel = await kernelOf(slow, next);
      expect(await kernel.filter(TENANT_A, "beforeContentCreate", { a: 1 })).toEqual({ a: 1 });
      expect(next.seenAborted).toEqual([false]);
      await new Promise((r) => setTimeout(r, 0));
      expect(slow.ended).toEqual(["aborted: timed out after 40 ms"]);
    });
  });

  describe("filter hooks", () => {
    it("a chain of three transforms content in priority order, not registration order", async () => {
      const ran: string[] = [];
      const append = (tag: string) => (c: Content) => ({ ...c, title: `${c.title}+${tag}` });
      const { kernel } = await kernelWith([
        new Filter("third", 300, append("third"), ran),
        new Filter("first", 10, append("first"), ran),
        new Filter("second", 50, append("second"), ran),
      ]);
      for (const name of ["first", "second", "third"]) await kernel.enable(TENANT_A, name);
      const out = await kernel.filter(TENANT_A, "beforeContentCreate", { title: "t" });
      expect(out).toEqual({ title: "t+first+second+third" });
      expect(ran).toEqual(["first", "second", "third"]);
    });

    it("a PluginError from the second rejects with its name and message, and the third never runs", async () => {
      const ran: string[] = [];
      const { kernel } = await kernelWith([
        new Filter("first", 1, (c) => c, ran),
        new Filter("word-limit", 2, () => {
          throw new PluginError("Free plan limited to 5000 words");
        }, ran),
        new Filter("third", 3, (c) => c, ran),
      ]);
      for (const name of ["first", "word-limit", "third"]) await kernel.enable(TENANT_A, name);
      const error = await kernel.filter(TENANT_A, "beforeContentCreate", { title: "t" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FilterRejectedError);
      expect(error).toMatchObject({ plugin: "word-limit", message: "Free plan limited to 5000 words" });
      expect(ran).toEqual(["first", "word-limit"]);
    });

    it("times out a filter that returns a hand-made thenable which never settles", async () => {
      const stuck = new Filter("stuck", 1, () => ({ then() {} }) as unknown as Content, []);
      stuck.hookTimeoutMs = 30;
      const { kernel } = await kernelWith([stuck]);
      await kernel.enable(TENANT_A, "stuck");
      await expect(kernel.filter(TENANT_A, "beforeContentCreate", {})).rejects.toMatchObject({
        plugin: "stuck",
        message: expect.stringContaining("timed out after 30 ms"),
      });
    });

    it("returning nothing is the plugin's error; fail-open plugins are skipped instead", async () => {
      const ran: string[] = [];
      const forgetful = new Filter("forgetful", 1, () => undefined, ran);
      const { kernel } = await kernelWith([forgetful, new Filter("after", 2, (c) => ({ ...c, ok: true }), ran)]);
      for (const name of ["forgetful", "after"]) await kernel.enable(TENANT_A, name);
      await expect(kernel.filter(TENANT_A, "beforeContentCreate", {})).rejects.toMatchObject({
        plugin: "forgetful",
        message: expect.stringContaining("must return the content"),
      });
      forgetful.failOpen = true;
      expect(await kernel.filter(TENANT_A, "beforeContentCreate", { a: 1 })).toEqual({ a: 1, ok: true });
    });
  });

  describe("registration", () => {
    class Named extends Plugin {
      constructor(readonly name: string, readonly version = "1.0.0") {
        super();
      }
    }
    const kernel = createKernel();
    const rejects = (plugin: Plugin, code: string, text: string) => {
      let error: unknown;
      try {
        kernel.register(plugin);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(KernelError);
      expect(error).toMatchObject({ code });
      expect((error as Error).message).toContain(text);
    };

    it("rejects invalid names and versions, naming the plugin", () => {
      rejects(new Named("My_Plugin"), "ERR_PLUGIN_INVALID", "plugin My_Plugin: name must be a lowercase slug");
      rejects(
        new Named("good-name", "1.0"),
        "ERR_PLUGIN_INVALID",
        'plugin good-name: version "1.0" is not a semantic version',
      );
    });

    it("rejects a hookTimeoutMs a timer cannot keep (NaN would spin, Infinity fire at once)", () => {
      for (const [i, ms] of [NaN, Infinity, 0, -5, 2 ** 31].entries()) {
        const plugin = new Named(`odd-timeout-${i}`);
        plugin.hookTimeoutMs = ms;
        rejects(plugin, "ERR_PLUGIN_INVALID", `plugin odd-timeout-${i}: hookTimeoutMs must be a number of ms`);
      }
      expect(() => createKernel({ hookTimeoutMs: NaN })).toThrow(/hookTimeoutMs: must be a number of ms/);
    });

    it("rejects a duplicate name", () => {
      kernel.register(new Named("unique-one"));
      rejects(
        new Named("unique-one"),
        "ERR_PLUGIN_DUPLICATE",
        "plugin unique-one: a plugin with this name is already registered",
      );
    });

    it("rejects schemas that are not valid draft-07", () => {
      const bad = new Named("bad-schema");
      bad.CONFIG_SCHEMA = { type: "object", properties: { x: { type: "strnig" } } };
      rejects(bad, "ERR_PLUGIN_INVALID", "plugin bad-schema: CONFIG_SCHEMA is not a valid draft-07 object schema");
      const secrets = new Named("bad-secrets");
      secrets.SECRETS_SCHEMA = { type: "object", properties: { n: { type: "integer" } } };
      rejects(secrets, "ERR_PLUGIN_INVALID", 'SECRETS_SCHEMA property "n" must be of type string');
    });

    it("rejects a plugin whose kernel range this kernel does not satisfy", () => {
      const future = new Named("from-the-future");
      future.kernelVersion = "^2.0.0";
      rejects(future, "ERR_PLUGIN_INCOMPATIBLE", "plugin from-the-future: needs kernel ^2.0.0, this kernel is 1.0.0");
      const fits = new Named("fits");
      fits.kernelVersion = "^1.0.0";
      expect(kernel.register(fits).name).toBe("fits");
    });

    it("rejects half a method pair and seed-style method names", () => {
      const half = new Named("half-task") as Named & { registerScheduledTasks?: () => [] };
      half.registerScheduledTasks = () => [];
      rejects(half, "ERR_PLUGIN_INVALID", "registerScheduledTasks needs executeScheduledTask as well");
      const py = new Named("pythonic") as Named & { dvp_content_published?: () => void };
      py.dvp_content_published = () => {};
      rejects(py, "ERR_PLUGIN_INVALID", "dvp_content_published is the Python name: implement contentPublished");
    });

    it("detects the data series hook", () => {
      const charted = new Named("charted") as Named & { dataSeries?: () => Promise<[]> };
      charted.dataSeries = () => Promise.resolve([]);
      expect([...kernel.register(charted).hooks]).toEqual(["dataSeries"]);
    });

    it("unregisters, and lists and looks up what is registered", () => {
      const k = createKernel({ plugins: [new Named("one"), new Named("two")] });
      expect(k.registry.list().map((p) => p.name)).toEqual(["one", "two"]);
      expect(k.unregister("one")).toBe(true);
      expect(k.registry.has("one")).toBe(false);
      expect(k.registry.get("two")?.plugin.version).toBe("1.0.0");
    });
  });

  describe("HookContext", () => {
    it("rejects a tenant id that is not a UUID", async () => {
      const k = createKernel();
      await expect(k.dispatch("not-a-uuid", "contentPublished", ["c", {}])).rejects.toMatchObject({
        code: "ERR_TENANT_NOT_FOUND",
      });
      await expect(k.putTenant("../etc/passwd", { slug: "x", plan: "pro" })).rejects.toMatchObject({
        code: "ERR_VALIDATION",
      });
    });
  });

  describe("semver", () => {
    it("matches the ranges plugins declare", () => {
      expect(satisfies("1.4.2", "^1.0.0")).toBe(true);
      expect(satisfies("2.0.0", "^1.0.0")).toBe(false);
      expect(satisfies("1.2.9", "~1.2.0")).toBe(true);
      expect(satisfies("1.3.0", "~1.2.0")).toBe(false);
      expect(satisfies("1.0.0", ">=1.0.0 <2.0.0")).toBe(true);
      expect(satisfies("0.3.1", "^0.3.0")).toBe(true);
      expect(satisfies("0.4.0", "^0.3.0")).toBe(false);
      expect(satisfies("3.1.0", "^1.0.0 || ^3.0.0")).toBe(true);
      expect(satisfies("1.9.9", "1.x")).toBe(true);
      expect(satisfies("2.0.0-beta.1", "^1.0.0")).toBe(false);
    });
  });

  describe("logging", () => {
    it("scrubs a secret whole even when another registered secret is its prefix", () => {
      const log = new LogConfig();
      log.addSecretValue("sk_live_1234");
      log.addSecretValue("sk_live_1234567890abcdef");
      expect(log.scrub("key sk_live_1234567890abcdef and sk_live_1234!")).toBe("key [redacted] and [redacted]!");
    });

    it("scrubs secrets of any size and number: one of 40,000 characters, and a thousand others", () => {
      const log = new LogConfig();
      const huge = `https://example.com/${"b".repeat(40_000)}`;
      const many = Array.from({ length: 1000 }, (_, i) => `secret-${String(i).padStart(4, "0")}-${"x".repeat(40)}`);
      log.addSecretValue(huge);
      for (const value of many) log.addSecretValue(value);
      // The huge one was the first in, and the oldest leaves at 1,000: add it again to keep it.
      log.addSecretValue(huge);
      expect(log.scrub(`a ${huge} b ${many[999]} c ${many[3]}?`)).toBe("a [redacted] b [redacted] c [redacted]?");
      expect(log.scrub("nothing secret here")).toBe("nothing secret here");
    });

    it("writes JSON lines and never prints secret fields or registered secret values", async () => {
      const plugin = new MyPlugin();
      plugin.SECRETS_SCHEMA = { type: "object", properties: { api_token: { type: "string" } } };
      const { kernel, logs } = await kernelWith([plugin]);
      await kernel.setSecrets(TENANT_A, "my-plugin", { api_token: "tok_supersecretvalue123" });
      const secrets = await plugin.getSecrets(TENANT_A);
      plugin.logger.info("calling with tok_supersecretvalue123", {
        api_token: secrets.require("api_token"),
        headers: { Authorization: "Bearer x" },
        secrets,
      });
      const line = logs.lines.at(-1)!;
      const record = JSON.parse(line);
      expect(record).toMatchObject({
        level: "info",
        logger: "dvp.plugin.my-plugin",
        plugin: "my-plugin",
        api_token: "[redacted]",
      });
      expect(record.headers.Authorization).toBe("[redacted]");
      expect(line).not.toContain("supersecretvalue");
      expect(typeof record.time).toBe("string");
    });

    it("logger.exception keeps the error's name, message and stack, with secret values scrubbed", async () => {
      const plugin = new MyPlugin();
      const { kernel, logs } = await kernelWith([plugin]);
      await kernel.setSecrets(TENANT_A, "my-plugin", { api_token: "tok_supersecretvalue456" });
      await plugin.getSecrets(TENANT_A); // read once: its value is now scrubbed from every log line
      function failingCall(): never {
        throw new TypeError("upstream refused tok_supersecretvalue456");
      }
      try {
        failingCall();
      } catch (error) {
        plugin.logger.exception("sync failed", error, { tenant_id: TENANT_A });
      }
      plugin.logger.exception("odd failure", "a plain string");
      const [first, second] = logs.lines.slice(-2).map((line) => JSON.parse(line));
      expect(first).toMatchObject({
        level: "error",
        msg: "sync failed",
        tenant_id: TENANT_A,
        error: { name: "TypeError", message: "upstream refused [redacted]" },
      });
      expect(first.error.stack).toContain("failingCall");
      expect(logs.lines.at(-2)).not.toContain("supersecretvalue456");
      expect(second).toMatchObject({ level: "error", error: { name: "Error", message: "a plain string" } });
    });
  });
}
