/** The consumer's own plugin: remembers the content it is told about, so the host can show it. */
import { type ContentLifecycleHooks, type FromSchema, type HookContext, Plugin } from "@dvp/kernel";

const CONFIG_SCHEMA = {
  type: "object",
  properties: { label: { type: "string", default: "echo" } },
  additionalProperties: false,
} as const;

type EchoConfig = FromSchema<typeof CONFIG_SCHEMA>;

/** What the plugin saw, per isolate: "<tenant>:<content id>:<label>". */
export const seen: string[] = [];

export class EchoPlugin extends Plugin<EchoConfig> implements ContentLifecycleHooks {
  readonly name = "echo";
  readonly version = "1.0.0";
  override description = "Remembers the content it is told about";
  override author = "Consumer";
  override kernelVersion = "^1.0.0";
  override CONFIG_SCHEMA = CONFIG_SCHEMA;

  async contentPublished(ctx: HookContext, contentId: string): Promise<void> {
    const config = await this.getConfig(ctx.tenantId);
    seen.push(`${ctx.tenantId}:${contentId}:${config.label ?? ""}`);
  }
}
