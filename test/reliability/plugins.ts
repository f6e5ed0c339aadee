/**
 * Plugins that misbehave on purpose, and one that counts what it was given, for the fault tests.
 * Each counts its calls per (tenant, event) so "dispatched once" is checked from the plugin's
 * side too, not only from the records.
 */
import type { HookContext } from "../../src/context.ts";
import type { Content, Metadata } from "../../src/hooks.ts";
import { Plugin } from "../../src/plugin.ts";

export class CountingPlugin extends Plugin {
  readonly name: string;
  readonly version = "1.0.0";
  /** `${tenantId}|${webhookId}` → calls. */
  readonly calls = new Map<string, number>();
  /** Content the plugin saw, per tenant: isolation checks read it. */
  readonly contentByTenant = new Map<string, Content[]>();

  constructor(name = "counter") {
    super();
    this.name = name;
  }

  protected count(ctx: HookContext, content: Content): void {
    const key = `${ctx.tenantId}|${ctx.causationId}`;
    this.calls.set(key, (this.calls.get(key) ?? 0) + 1);
    const seen = this.contentByTenant.get(ctx.tenantId) ?? [];
    seen.push(content);
    this.contentByTenant.set(ctx.tenantId, seen);
  }

  /** Calls for events that reached the plugin more than once. */
  repeated(): string[] {
    return [...this.calls].filter(([, n]) => n > 1).map(([k]) => k);
  }

  contentPublished(ctx: HookContext, _id: string, content: Content, _metadata?: Metadata): unknown {
    this.count(ctx, content);
    return undefined;
  }
}

/** Throws on its first `failures` calls (Infinity: always), then succeeds. */
export class ThrowingPlugin extends CountingPlugin {
  failures: number;
  constructor(name = "thrower", failures = Infinity) {
    super(name);
    this.failures = failures;
  }
  override contentPublished(ctx: HookContext, id: string, content: Content): unknown {
    super.contentPublished(ctx, id, content);
    if (this.failures-- > 0) throw new Error(`${this.name}: upstream exploded`);
    return undefined;
  }
}

/** Never settles: the kernel's per-plugin time limit must end it. */
export class HangingPlugin extends CountingPlugin {
  override hookTimeoutMs = 40;
  constructor(name = "hanger") {
    super(name);
  }
  override contentPublished(ctx: HookContext, id: string, content: Content): unknown {
    super.contentPublished(ctx, id, content);
    return new Promise(() => {});
  }
}

/** Garbage a hook can hand back instead of undefined or a promise. */
export const GARBAGE: Record<string, () => unknown> = {
  number: () => 42,
  string: () => "not a promise",
  "rejects with undefined": () => Promise.reject(undefined),
  "rejects with a non-error": () => Promise.reject({ weird: true }),
  "throws null": () => {
    throw null;
  },
  "thenable whose then throws": () => ({
    then() {
      throw new Error("then exploded");
    },
  }),
  "then getter that throws": () => ({
    get then(): never {
      throw new Error("then getter exploded");
    },
  }),
  "thenable that never calls back": () => ({ then() {} }),
  "proxy that throws on every access": () =>
    new Proxy({}, {
      get() {
        throw new Error("proxy trap");
      },
    }),
  "circular object": () => {
    const o: Record<string, unknown> = {};
    o.self = o;
    return o;
  },
  "bigint": () => 10n,
};

/** Returns the garbage named by `kind` from its action hook. */
export class GarbagePlugin extends CountingPlugin {
  override hookTimeoutMs = 40;
  constructor(name: string, readonly kind: keyof typeof GARBAGE) {
    super(name);
  }
  override contentPublished(ctx: HookContext, id: string, content: Content): unknown {
    super.contentPublished(ctx, id, content);
    return GARBAGE[this.kind]!();
  }
}
