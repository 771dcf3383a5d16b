/**
 * Every setting the handlers read, in one place. The CDK stacks set these on each Lambda;
 * the local cloud sets them on its own process before it imports the handlers.
 * SDK endpoints are not here: they come from the standard AWS_ENDPOINT_URL_DYNAMODB,
 * AWS_ENDPOINT_URL_S3 variables, so LocalStack or real AWS is a setting, not a code path.
 */

export const ENV = {
  printersTable: 'PRINTERS_TABLE',
  jobsTable: 'JOBS_TABLE',
  registrationsTable: 'REGISTRATIONS_TABLE',
  credentialsTable: 'CREDENTIALS_TABLE',
  guardsTable: 'GUARDS_TABLE',
  documentsBucket: 'DOCUMENTS_BUCKET',
  /** https://{apiId}.execute-api.{region}.amazonaws.com/{stage}: the @connections management endpoint. */
  wsCallbackUrl: 'WS_CALLBACK_URL',
  /** wss://... what printers connect to; returned by GET /v1/config. */
  wsUrl: 'WS_URL',
  /** Base URL for links the cloud hands out (claim page). Unset on AWS: derived from the request's domainName. */
  publicApiUrl: 'PUBLIC_API_URL',
  /** AWS: the Secrets Manager secret holding the owner key. */
  ownerKeySecretArn: 'OWNER_KEY_SECRET_ARN',
  /** Local: sha256 hex of the owner key (the key itself stays in .cloudprint/local.json). */
  ownerKeyHash: 'OWNER_KEY_HASH',
  pollIntervalSeconds: 'POLL_INTERVAL_SECONDS',
  leaseSeconds: 'LEASE_SECONDS',
  registrationTtlSeconds: 'REGISTRATION_TTL_SECONDS',
  maxDocumentBytes: 'MAX_DOCUMENT_BYTES',
  asyncConversionBytes: 'ASYNC_CONVERSION_BYTES',
  webhooksTable: 'WEBHOOKS_TABLE',
  /** `1` (the local cloud only): webhooks may be http:// on loopback addresses. AWS: https only. */
  webhookAllowLoopback: 'WEBHOOK_ALLOW_LOOPBACK',
  /** Base delay of webhook retries in ms (core/webhook-delivery.ts; tests shorten it). */
  webhookRetryBaseMs: 'WEBHOOK_RETRY_BASE_MS',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

export function requireEnv(name: EnvName): string {
  const value = process.env[name];
  if (!value) throw new Error(`missing configuration ${name}`);
  return value;
}

export function numberEnv(name: EnvName, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`configuration ${name} must be a positive number`);
  return value;
}
