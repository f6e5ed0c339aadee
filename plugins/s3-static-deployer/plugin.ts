/**
 * s3-static-deployer: writes each published page's `rendered_html` to S3 (or R2/MinIO), deletes
 * it when the content is deleted, and invalidates the changed paths in CloudFront — batched:
 * paths are recorded in plugin storage (one key per path, so concurrent writers never overwrite
 * each other's paths) and sent as one CreateInvalidation by a task every minute, or at once
 * when the batch is full.
 */
import type {
  Content,
  ContentLifecycleHooks,
  HookContext,
  ScheduledTaskDefinition,
  ScheduledTaskHooks,
  TaskExecutionContext,
  TaskResult,
} from "@dvp/kernel";
import { errorMessage, PluginError } from "@dvp/kernel";
import { Plugin } from "@dvp/kernel";
import { pluginHttpClient, type ReferencePluginOptions } from "../_shared/http.ts";
import { type AwsCredentials, CloudFrontClient, invalidationPath, S3Client } from "./client.ts";
import { CONFIG_SCHEMA, type S3DeployerConfig, SECRETS_SCHEMA } from "./config.ts";
import { pageLocation } from "./keys.ts";

export interface S3DeployerOptions extends ReferencePluginOptions {
  /** CloudFront API base URL (default https://cloudfront.amazonaws.com); tests point it at a fake. */
  cloudFrontEndpoint?: string;
}

const PENDING = "inval:";
/**
 * The most pending paths one flush sends (CloudFront takes up to 3,000 per invalidation). A flush
 * costs a list, two batch reads (one operation per 100 keys on Workers KV) and a delete per path:
 * about 307 operations for 300, inside the 1,000 a Workers invocation may make, the kernel's own
 * included. More pending paths go out with the next flush, a minute later.
 */
const MAX_PATHS_PER_FLUSH = 300;
/** Longer paths skip the batch (a storage key has a size limit) and are invalidated at once. */
const MAX_BATCHED_PATH = 400;

export class S3StaticDeployerPlugin extends Plugin<S3DeployerConfig>
  implements ContentLifecycleHooks, ScheduledTaskHooks {
  readonly name = "s3-static-deployer";
  readonly version = "1.0.0";
  override description = "Uploads rendered pages to S3 (or R2/MinIO) and invalidates them in CloudFront, batched";
  override author = "DVP CMS";
  override kernelVersion = "^1.0.0";
  override CONFIG_SCHEMA = CONFIG_SCHEMA;
  override SECRETS_SCHEMA = SECRETS_SCHEMA;
  override hookTimeoutMs = 30_000;

  constructor(private readonly options: S3DeployerOptions = {}) {
    super();
  }

  contentPublished(ctx: HookContext, contentId: string, content: Content): Promise<void> {
    return this.#upload(ctx, contentId, content);
  }

  contentUpdated(ctx: HookContext, contentId: string, content: Content): Promise<void> {
    return this.#upload(ctx, contentId, content);
  }

  async contentDeleted(ctx: HookContext, contentId: string, content: Content): Promise<void> {
    const { config, s3, cloudFront } = await this.#clients(ctx.tenantId);
    const location = pageLocation(config, content);
    await s3.deleteObject(location.key, ctx.signal);
    this.logger.info("object deleted", { ...this.#log(ctx), content_id: contentId, key: location.key });
    if (config.distribution_id) await this.#invalidate(ctx, config, cloudFront, location.paths);
  }

  registerScheduledTasks(): ScheduledTaskDefinition[] {
    return [{
      taskId: `${this.name}.flush-invalidations`,
      name: "Flush CloudFront invalidations",
      description: "Every minute: one CreateInvalidation for the paths changed since the last one.",
      schedule: { intervalSeconds: 60 },
      maxRetries: 0, // the next minute retries; pending paths stay in storage until CloudFront accepts them
      timeoutSeconds: 50,
    }];
  }

  async executeScheduledTask(
    task: ScheduledTaskDefinition,
    ctx: HookContext,
    execution: TaskExecutionContext,
  ): Promise<TaskResult> {
    if (task.taskId !== `${this.name}.flush-invalidations`) {
      return { success: false, errorMessage: `unknown task ${task.taskId}` };
    }
    const config = await this.getConfig(ctx.tenantId);
    if (!config.distribution_id) {
      return { success: true, data: { invalidated: 0, reason: "no distribution configured" } };
    }
    // Most minutes nothing is pending: one storage list, no secret decryption.
    if ((await this.storage(ctx.tenantId).list(PENDING, 1)).length === 0) {
      return { success: true, data: { invalidated: 0 } };
    }
    const { cloudFront } = await this.#clients(ctx.tenantId);
    try {
      return { success: true, data: await this.#flush(ctx, config, cloudFront, execution.signal) };
    } catch (error) {
      return { success: false, errorMessage: error instanceof Error ? error.message : String(error) };
    }
  }

  async #upload(ctx: HookContext, contentId: string, content: Content): Promise<void> {
    const html = content.rendered_html;
    if (typeof html !== "string") throw new PluginError("content.rendered_html is missing: nothing to upload");
    const { config, s3, cloudFront } = await this.#clients(ctx.tenantId);
    const location = pageLocation(config, content);
    const { etag } = await s3.putObject(location.key, html, {
      contentType: "text/html; charset=utf-8",
      cacheControl: config.cache_control,
      metadata: { "content-id": contentId.slice(0, 200) },
    }, ctx.signal);
    this.logger.info("object uploaded", { ...this.#log(ctx), content_id: contentId, key: location.key, etag });
    if (config.distribution_id) await this.#invalidate(ctx, config, cloudFront, location.paths);
  }

  /** Record the paths for the next batch (flushing when full), or invalidate them now. */
  async #invalidate(ctx: HookContext, config: S3DeployerConfig, cloudFront: CloudFrontClient, paths: string[]) {
    const viewerPaths = paths.map(invalidationPath);
    // Batching off, or a path too long for a storage key: invalidated at once.
    const direct = config.batch_invalidations ? viewerPaths.filter((p) => p.length > MAX_BATCHED_PATH) : viewerPaths;
    if (direct.length) {
      const reference = callerReference(this.host.now());
      const created = await cloudFront.createInvalidation(config.distribution_id!, direct, reference, ctx.signal);
      this.logger.info("invalidation created", {
        ...this.#log(ctx),
        invalidation_id: created.id,
        paths: direct.length,
      });
    }
    const batched = viewerPaths.filter((p) => !direct.includes(p));
    if (batched.length === 0) return;
    const storage = this.storage(ctx.tenantId);
    // A fresh token per write: a flush deletes a path only if its token is still the one it sent,
    // so a page written again while its batch is in flight stays pending.
    await Promise.all(
      batched.map((p) => storage.put(PENDING + encodeURIComponent(p), newToken(), { ttlSeconds: 7 * 86_400 })),
    );
    // A batch size above what one flush sends flushes at that bound.
    const full = Math.min(config.invalidation_batch_size, MAX_PATHS_PER_FLUSH);
    const pending = await storage.list(PENDING, full);
    if (pending.length < full) return;
    try {
      await this.#flush(ctx, config, cloudFront, ctx.signal);
    } catch (error) {
      // The page is uploaded and its paths are pending: the minute's task sends them. Failing the
      // hook would only upload the page again on the event's retry.
      this.logger.warn("batch flush failed; the paths stay pending", { ...this.#log(ctx), error: errorMessage(error) });
    }
  }

  async #flush(ctx: HookContext, config: S3DeployerConfig, cloudFront: CloudFrontClient, signal?: AbortSignal) {
    const storage = this.storage(ctx.tenantId);
    const keys = await storage.list(PENDING, MAX_PATHS_PER_FLUSH);
    if (keys.length === 0) return { invalidated: 0 };
    const paths = keys.map((k) => decodeURIComponent(k.slice(PENDING.length)));
    // A path written again while its batch is in flight must stay pending: its upload may finish
    // after this invalidation. Where storage compares and deletes atomically (memory, Deno KV), an
    // entry is deleted only if it still holds the token read here, before CreateInvalidation.
    // Where it cannot (Cloudflare KV), the flush reads no tokens and deletes what it sent: a
    // re-read there can return this location's cached copy for up to a minute, so comparing would
    // guarantee nothing. There the check is best effort at most, and an edit that lands during the
    // CreateInvalidation call can go uninvalidated until the page's cache lifetime ends.
    const compare = storage.deleteIfUnchanged?.bind(storage);
    const tokens = compare ? await storage.getMany(keys) : null;
    const created = await cloudFront.createInvalidation(
      config.distribution_id!,
      paths,
      callerReference(this.host.now()),
      signal,
    );
    await Promise.all(keys.map((k, i) => {
      if (!tokens || !compare) return storage.delete(k);
      // Expired since the list: nothing to delete.
      return tokens[i] === null ? undefined : compare(k, tokens[i]);
    }));
    this.logger.info("invalidation created", { ...this.#log(ctx), invalidation_id: created.id, paths: paths.length });
    return { invalidated: paths.length, invalidation_id: created.id, status: created.status };
  }

  async #clients(tenantId: string) {
    const config = await this.getConfig(tenantId);
    const secrets = await this.getSecrets(tenantId);
    const credentials: AwsCredentials = {
      accessKeyId: secrets.require("access_key_id"),
      secretAccessKey: secrets.require("secret_access_key"),
      ...(secrets.get("session_token") ? { sessionToken: secrets.get("session_token") } : {}),
    };
    const http = pluginHttpClient(this.fetch, this.logger, tenantId, this.options, { timeoutMs: 10_000, retries: 2 });
    const now = () => this.host.now();
    return {
      config,
      s3: new S3Client(http, credentials, {
        bucket: config.bucket,
        region: config.region,
        ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      }, now),
      cloudFront: new CloudFrontClient(http, credentials, now, this.options.cloudFrontEndpoint),
    };
  }

  #log(ctx: HookContext) {
    return { tenant_id: ctx.tenantId, correlation_id: ctx.correlationId ?? undefined };
  }
}

function newToken(): string {
  return crypto.randomUUID();
}

/**
 * A CallerReference of its own for every CreateInvalidation call, kept for that call's retries.
 *
 * CloudFront treats a repeated CallerReference as a repeated request: with the same paths it
 * answers with the earlier invalidation and invalidates nothing; with other paths it refuses
 * (InvalidationBatchAlreadyExists). So the reference is not derived from the paths and the
 * minute (a second edit of a page within the minute would silently not be invalidated):
 * - the HTTP client's retries of one call (a timeout, a 5xx, a lost response) send the same
 *   request with the same reference, so CloudFront creates one invalidation, not two;
 * - any other call, whether a new edit, a new flush, or a retried or replayed event, gets a new
 *   reference, so its invalidation follows its own upload. Not an event or execution id: a
 *   retried delivery can find other paths pending (→ InvalidationBatchAlreadyExists), and a
 *   replayed event uploads again after later edits. Not a digest of the pending entries either:
 *   on Workers KV a read can be up to a minute stale, and a stale batch would repeat an earlier
 *   reference and be skipped. The cost of uniqueness is at most a duplicate invalidation (when a
 *   batch is re-sent because its keys could not be deleted), never a stale page.
 */
function callerReference(now: number): string {
  const stamp = new Date(now).toISOString().replace(/[-:]|\.\d{3}/g, "");
  return `dvp-${stamp}-${crypto.randomUUID()}`;
}
