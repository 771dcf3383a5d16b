/**
 * Key schemas of the cloud's DynamoDB tables. infra/ builds the AWS tables from this,
 * local/ creates the same tables in the embedded engine on first start.
 * No transactions (the local engine has none): every state change is a single-item conditional write.
 */
import { isFinished, type JobState } from './job-state.ts';

/** A global secondary index: all attributes projected, so a Query on it needs no further reads. */
export interface IndexSchema {
  name: string;
  partitionKey: string;
  /** Sparse when this attribute is set only on some items: the others are not in the index. */
  sortKey: string;
}

/**
 * Jobs a printer may still work on. `openJobId` (= jobId) is set while a job is pending, processing
 * or processing-stopped and REMOVEd by the write that finishes it, so finished jobs are not in the
 * index and a printer's listing reads only its open jobs, oldest first.
 */
export const OPEN_JOBS_INDEX: IndexSchema = {
  name: 'open-jobs',
  partitionKey: 'printerId',
  sortKey: 'openJobId',
};

/** The open-jobs index attribute a stored job carries: `{openJobId: jobId}` while open, none once finished. */
export function openJobAttributes(job: { jobId: string; state: JobState }): Record<string, string> {
  return isFinished(job.state) ? {} : { [OPEN_JOBS_INDEX.sortKey]: job.jobId };
}

/**
 * A printer's share keys. Only share-key credentials carry `keyId`, so access tokens are not in the index:
 * the owner's listing is one Query on it and a revocation finds the key's hash without a scan.
 */
export const SHARE_KEYS_INDEX: IndexSchema = {
  name: 'share-keys',
  partitionKey: 'printerId',
  sortKey: 'keyId',
};

/**
 * Pending webhook deliveries by when their next attempt is due. `dueShard` (= `due`) is set only while a
 * delivery is pending and REMOVEd with `nextAttemptAt` once it is delivered or failed, so the sweep's
 * Query reads only what waits.
 */
export const DUE_DELIVERIES_INDEX: IndexSchema = {
  name: 'due-deliveries',
  partitionKey: 'dueShard',
  sortKey: 'nextAttemptAt',
};

export interface TableSchema {
  /** Logical name; the physical name comes from the environment (core/config.ts). */
  name: 'printers' | 'jobs' | 'registrations' | 'credentials' | 'guards' | 'webhooks';
  env:
    | 'PRINTERS_TABLE'
    | 'JOBS_TABLE'
    | 'REGISTRATIONS_TABLE'
    | 'CREDENTIALS_TABLE'
    | 'GUARDS_TABLE'
    | 'WEBHOOKS_TABLE';
  partitionKey: string;
  sortKey?: string;
  /** Attribute AWS uses to expire items; readers also check expiry themselves (no TTL locally). */
  ttlAttribute?: string;
  indexes?: readonly IndexSchema[];
  /** AWS: the table has a stream of new items (NEW_IMAGE) that starts work elsewhere (webhook deliveries). */
  stream?: boolean;
}

export const TABLES: readonly TableSchema[] = [
  /** The patent's printer table: one item per printer (acceptingJobs, state, connection). */
  { name: 'printers', env: 'PRINTERS_TABLE', partitionKey: 'printerId' },
  /** Jobs by printer, jobId sorts by creation time so a Query lists oldest first. */
  {
    name: 'jobs',
    env: 'JOBS_TABLE',
    partitionKey: 'printerId',
    sortKey: 'jobId',
    ttlAttribute: 'expiresAtEpoch',
    indexes: [OPEN_JOBS_INDEX],
  },
  {
    name: 'registrations',
    env: 'REGISTRATIONS_TABLE',
    partitionKey: 'registrationId',
    ttlAttribute: 'expiresAtEpoch',
  },
  /** sha256(secret) -> who holds it (access token or share key). Secrets are never stored. */
  {
    name: 'credentials',
    env: 'CREDENTIALS_TABLE',
    partitionKey: 'secretHash',
    indexes: [SHARE_KEYS_INDEX],
  },
  /** Rate-limit counters and idempotency records. */
  { name: 'guards', env: 'GUARDS_TABLE', partitionKey: 'guardKey', ttlAttribute: 'expiresAtEpoch' },
  /**
   * Webhook subscriptions (`pk` = WEBHOOK_PARTITION, `sk` = webhookId) and their deliveries
   * (`pk` = `delivery#<webhookId>`, `sk` = deliveryId, time-sortable). A new delivery item is the
   * outbox: its stream record starts functions/webhook-delivery.
   */
  {
    name: 'webhooks',
    env: 'WEBHOOKS_TABLE',
    partitionKey: 'pk',
    sortKey: 'sk',
    ttlAttribute: 'expiresAtEpoch',
    indexes: [DUE_DELIVERIES_INDEX],
    stream: true,
  },
];

/** The `kind` of a delivery item: the webhooks stream's filter selects new items of this kind (infra/functions.ts). */
export const DELIVERY_ITEM_KIND = 'delivery';

/** The webhooks table's partition holding every subscription (one Query lists them). */
export const WEBHOOK_PARTITION = 'webhook';

/** The webhooks table's partition holding one webhook's deliveries. */
export function deliveryPartition(webhookId: string): string {
  return `delivery#${webhookId}`;
}

/**
 * The documents bucket's CORS rule: browser terminals PUT large documents straight to presigned URLs
 * (the signature is the auth). infra/data.ts gives it to the bucket; the local S3 answers by it.
 */
export const DOCUMENT_UPLOAD_CORS = {
  allowedMethods: ['PUT'],
  allowedOrigins: ['*'],
  allowedHeaders: ['*'],
  exposedHeaders: ['ETag'],
  maxAgeSeconds: 3000,
} as const;
