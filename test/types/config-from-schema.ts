/**
 * Compile-time test, checked by `tsc -p test/tsconfig.json` (never run): `FromSchema` gives
 * `getConfig` the config's type from CONFIG_SCHEMA, defaults counted as present, at no runtime
 * cost. A wrong type here fails type-checking; each `@ts-expect-error` fails if the error vanishes.
 */
import { type FromSchema, Plugin } from "../../src/index.ts";
import { SYNC_CONFIG_SCHEMA } from "../suites/storage.suite.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;
const assertType = <T extends true>(): T | undefined => undefined;

type SyncConfig = FromSchema<typeof SYNC_CONFIG_SCHEMA>;

class TypedPlugin extends Plugin<SyncConfig> {
  readonly name = "typed";
  readonly version = "1.0.0";
  override CONFIG_SCHEMA = SYNC_CONFIG_SCHEMA;

  async useConfig(tenantId: string): Promise<number> {
    const config = await this.getConfig(tenantId);
    assertType<
      Equal<typeof config, {
        endpoint: string;
        mode: "fast" | "safe";
        retries: number;
        tags: string[];
        limits: { per_minute: number };
      }>
    >();
    // Defaulted fields need no undefined check; required ones are strings; enums are literal unions.
    const perMinute: number = config.limits.per_minute;
    const mode: "fast" | "safe" = config.mode;
    // @ts-expect-error: retries is a number
    config.retries.toUpperCase();
    // @ts-expect-error: additionalProperties: false, so there is no such field
    config.colour;
    // @ts-expect-error: "turbo" is not in the enum
    const wrong: typeof config.mode = "turbo";
    return perMinute + mode.length + config.endpoint.length + String(wrong).length;
  }
}

/** Without a type argument, getConfig is an untyped record: the inference is opt-in. */
class UntypedPlugin extends Plugin {
  readonly name = "untyped";
  readonly version = "1.0.0";
  async useConfig(tenantId: string): Promise<void> {
    const config = await this.getConfig(tenantId);
    assertType<Equal<typeof config, Record<string, unknown>>>();
  }
}

export { TypedPlugin, UntypedPlugin };
