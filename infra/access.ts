/**
 * What each function may touch, as data: the grants in infra/functions.ts are made from this table
 * and the tests read it back from the synthesized policies. Each entry follows the ports its
 * handler uses (core/ports.ts); every port method is one single-item operation, so no Batch* or
 * Transact* action is ever granted, and Scan only where a listing needs it.
 */
import { DUE_DELIVERIES_INDEX, OPEN_JOBS_INDEX, SHARE_KEYS_INDEX } from '../core/tables.ts';
import type { HandlerName } from '../functions/routes.ts';
import type { TableName } from './data.ts';

export type FunctionName = HandlerName | 'authorizer';

/** read: GetItem/Query; write: PutItem/UpdateItem; delete: DeleteItem; scan: Scan (listings). */
export type TableRight = 'read' | 'write' | 'delete' | 'scan';
export type DocumentRight = 'get' | 'put' | 'delete';

export const TABLE_ACTIONS: Record<TableRight, readonly string[]> = {
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  write: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
  delete: ['dynamodb:DeleteItem'],
  scan: ['dynamodb:Scan'],
};

export const DOCUMENT_ACTIONS: Record<DocumentRight, string> = {
  get: 's3:GetObject',
  put: 's3:PutObject',
  delete: 's3:DeleteObject',
};

export interface FunctionAccess {
  tables: Partial<Record<TableName, readonly TableRight[]>>;
  /** The global secondary indexes (core/tables.ts) it may Query, each granted by its own ARN. */
  indexes?: readonly string[];
  documents?: readonly DocumentRight[];
  /** Reads the owner key: every HTTP handler authenticates bearers against it first (core/auth.ts). */
  ownerKey?: boolean;
  /** Posts to or closes printers' WebSocket connections (@connections). */
  manageConnections?: boolean;
  /** Is invoked by the webhooks table's stream (read rights on that stream, granted by the event source). */
  webhookStream?: boolean;
  /**
   * Is invoked by the documents bucket for objects created under INCOMING_PREFIX (core/print-request.ts),
   * asynchronously: two retries, then the event goes to a dead-letter queue (alarmed, infra/monitoring.ts).
   */
  uploadArrivals?: boolean;
}

const R = ['read'] as const;
const RW = ['read', 'write'] as const;

export const FUNCTION_ACCESS: Record<FunctionName, FunctionAccess> = {
  /**
   * printer listing (Scan), owner settings, share keys: created (PutItem), listed and found through the
   * share-keys index (Query), revoked (DeleteItem).
   */
  terminal: {
    tables: { printers: [...RW, 'scan'], credentials: [...RW, 'delete'], webhooks: [...RW, 'delete'] },
    indexes: [SHARE_KEYS_INDEX.name],
    ownerKey: true,
  },
  /** registrations, claims, token issue; a re-registration replaces the old token and closes its socket. */
  register: {
    tables: { registrations: RW, printers: RW, credentials: [...RW, 'delete'], guards: [...RW, 'delete'] },
    ownerKey: true,
    manageConnections: true,
  },
  /** A stop or a low supply is an event: webhook subscriptions read, one delivery item written each. */
  'printer-commands': { tables: { printers: RW, credentials: R, webhooks: RW }, ownerKey: true },
  /**
   * Creates jobs (and reads one back for an idempotent replay), stores and converts documents,
   * pushes the hint; a push that finds the socket gone clears printers.connectionId (write).
   */
  'print-request': {
    tables: { printers: RW, credentials: R, jobs: RW, guards: [...RW, 'delete'] },
    indexes: [OPEN_JOBS_INDEX.name],
    documents: ['get', 'put', 'delete'],
    ownerKey: true,
    manageConnections: true,
  },
  /**
   * The IPP door: print-request's rights, plus the share-keys index (its capability URLs name a key) and
   * job listing (Get-Jobs, job-id lookups; Query).
   */
  ipp: {
    tables: { printers: RW, credentials: R, jobs: RW, guards: [...RW, 'delete'] },
    indexes: [OPEN_JOBS_INDEX.name, SHARE_KEYS_INDEX.name],
    documents: ['get', 'put', 'delete'],
    ownerKey: true,
    manageConnections: true,
  },
  /** job listing (Query), fetch leases, state changes; presigned GETs for printers; cancel drops the document. */
  jobs: {
    tables: { printers: RW, credentials: R, jobs: RW, webhooks: RW },
    indexes: [OPEN_JOBS_INDEX.name],
    documents: ['get', 'delete'],
    ownerKey: true,
  },
  /**
   * $connect/$disconnect/goodbye record presence on the printer item. The token was checked by
   * the authorizer, so credentials are none of its business; a socket whose token was replaced since is
   * closed by the function itself (@connections DELETE).
   */
  connect: { tables: { printers: RW }, manageConnections: true },
  /** Reads a new delivery and its webhook, records each attempt; the stream and the sweep's schedule start it. */
  'webhook-delivery': {
    tables: { webhooks: RW },
    indexes: [DUE_DELIVERIES_INDEX.name],
    webhookStream: true,
  },
  /** The web app's files are in its own bundle (web/): it touches no table, bucket or secret. */
  app: { tables: {} },
  /**
   * Converts an upload when it arrives (the bucket's notification): reads and moves its job (a failure ends
   * it through finishJob, which records webhook events), reads the upload, stores the PDF, deletes the
   * upload, pushes the hint (a gone socket clears printers.connectionId). No owner key: no bearer arrives.
   */
  'convert-upload': {
    tables: { printers: RW, jobs: RW, webhooks: RW },
    documents: ['get', 'put', 'delete'],
    manageConnections: true,
    uploadArrivals: true,
  },
  /** The $connect authorizer only looks an access token up: it can write nothing. */
  authorizer: { tables: { credentials: R } },
};
