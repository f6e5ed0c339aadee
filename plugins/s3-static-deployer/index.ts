export { S3StaticDeployerPlugin } from "./plugin.ts";
export type { S3DeployerOptions } from "./plugin.ts";
export {
  AwsRequestError,
  CLOUDFRONT_ENDPOINT,
  CloudFrontClient,
  invalidationPath,
  objectUrl,
  S3Client,
} from "./client.ts";
export type { AwsCredentials, S3Location } from "./client.ts";
export { pageLocation } from "./keys.ts";
export type { PageLocation } from "./keys.ts";
export { CONFIG_SCHEMA, SECRETS_SCHEMA } from "./config.ts";
export type { S3DeployerConfig } from "./config.ts";
