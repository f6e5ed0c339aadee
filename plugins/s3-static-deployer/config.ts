/** s3-static-deployer: tenant config (public) and AWS credentials (secrets). */
import type { FromSchema } from "json-schema-to-ts";

export const CONFIG_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  title: "S3 static deployer",
  properties: {
    bucket: {
      type: "string",
      title: "Bucket",
      description: "S3 bucket (or R2/MinIO bucket) the rendered pages are written to.",
      pattern: "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
    },
    region: {
      type: "string",
      title: "Region",
      description: 'AWS region of the bucket, e.g. eu-west-1 ("auto" for Cloudflare R2).',
      pattern: "^[a-z0-9-]{2,32}$",
      default: "us-east-1",
    },
    endpoint: {
      type: "string",
      title: "Endpoint",
      description:
        "For S3-compatible stores only (R2: https://<account>.r2.cloudflarestorage.com, MinIO): objects are addressed path-style as <endpoint>/<bucket>/<key>.",
      format: "uri",
    },
    distribution_id: {
      type: "string",
      title: "CloudFront distribution",
      description: "When set, changed paths are invalidated in this distribution.",
      pattern: "^[A-Z0-9]{8,32}$",
    },
    key_prefix: {
      type: "string",
      title: "Key prefix",
      description: 'Prepended to every object key, e.g. "sites/".',
      default: "",
      pattern: "^([A-Za-z0-9._-]+/)*$",
    },
    include_domain: {
      type: "boolean",
      title: "Domain in the key",
      description: "Key objects as <prefix><domain>/<path> (one bucket for many sites); off: <prefix><path>.",
      default: true,
    },
    index_document: {
      type: "string",
      title: "Index document",
      description: "Appended to paths that end in / or have no file extension.",
      default: "index.html",
      pattern: "^[A-Za-z0-9._-]+$",
    },
    cache_control: {
      type: "string",
      title: "Cache-Control",
      description: "Cache-Control header stored with each object.",
      default: "public, max-age=300",
      maxLength: 200,
    },
    batch_invalidations: {
      type: "boolean",
      title: "Batch invalidations",
      description:
        "Collect changed paths and invalidate them together every minute (CloudFront charges per path and limits concurrent invalidations). Off: one invalidation per change.",
      default: true,
    },
    invalidation_batch_size: {
      type: "integer",
      title: "Batch size",
      description:
        "Invalidate at once, without waiting for the minute, when this many paths are pending. One flush sends at most 300 paths, so a larger value acts as 300.",
      default: 100,
      minimum: 1,
      maximum: 3000,
    },
  },
  required: ["bucket"],
  additionalProperties: false,
} as const;

export const SECRETS_SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  type: "object",
  properties: {
    access_key_id: { type: "string", title: "Access key id", description: "IAM access key id (AKIA…)." },
    secret_access_key: { type: "string", title: "Secret access key", description: "IAM secret access key." },
    session_token: {
      type: "string",
      title: "Session token",
      description: "Only for temporary credentials (STS).",
    },
  },
  required: ["access_key_id", "secret_access_key"],
  additionalProperties: false,
} as const;

export type S3DeployerConfig = FromSchema<typeof CONFIG_SCHEMA>;
