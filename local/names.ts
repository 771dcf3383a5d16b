/**
 * Physical names of the local cloud's resources. On AWS the CDK stacks name them; locally they are
 * fixed so a restart on the same data dir finds the same tables and bucket.
 */
import { TABLES, type TableSchema } from '../core/tables.ts';

export const LOCAL_PREFIX = 'cloudprint';
export const DOCUMENTS_BUCKET = `${LOCAL_PREFIX}-documents`;
export const LOCAL_REGION = 'us-east-1';
/**
 * The SDK wants credentials: dynalite accepts any; the local S3 checks signatures with this access key id
 * and a secret of its own (local/engines.ts `startS3`).
 */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export function tableName(table: TableSchema): string {
  return `${LOCAL_PREFIX}-${table.name}`;
}

/** Logical name → physical name, for local.json and tests that look into the engine. */
export function tableNames(): Record<TableSchema['name'], string> {
  return Object.fromEntries(TABLES.map((t) => [t.name, tableName(t)])) as Record<TableSchema['name'], string>;
}
