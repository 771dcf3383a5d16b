/**
 * The embedded AWS engines: dynalite (DynamoDB on LevelDB) and fauxqs (S3 on files + SQLite),
 * both in this process, on loopback ports of their own, keeping their data under the data dir
 * (or in memory without one: the handler tests). Used by the local cloud and the handler tests.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { startFauxqs } from 'fauxqs';
import { ENV } from '../core/config.ts';
import { TABLES } from '../core/tables.ts';
import { DOCUMENTS_BUCKET, LOCAL_CREDENTIALS, LOCAL_REGION, tableName } from './names.ts';

export interface Engine {
  endpoint: string;
  stop(): Promise<void>;
}

/** DynamoDB with the tables of core/tables.ts; on disk under `dataDir`, in memory without it. */
export async function startDynamo(dataDir?: string): Promise<Engine> {
  const server: Server = dynalite({
    ...(dataDir ? { path: join(dataDir, 'dynamodb') } : {}),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await createMissingTables(endpoint);
  } catch (error) {
    await closeDynamo(server);
    throw error;
  }
  return { endpoint, stop: () => closeDynamo(server) };
}

function closeDynamo(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    // dynalite's close also closes LevelDB once pending writes are done; idle keep-alive
    // sockets from SDK clients would otherwise hold the server open.
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}

/** Tables of core/tables.ts, created on first start only: later starts find them on disk. */
async function createMissingTables(endpoint: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
    for (const table of TABLES) {
      const name = tableName(table);
      if (existing.has(name)) continue;
      const keys = [table.partitionKey, ...(table.sortKey ? [table.sortKey] : [])];
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: keys.map((k) => ({ AttributeName: k, AttributeType: 'S' })),
          KeySchema: keys.map((k, i) => ({ AttributeName: k, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
        }),
      );
    }
  } finally {
    client.destroy();
  }
}

/** S3 with `bucket`; on disk under `dataDir`, in memory without it. */
export async function startS3(bucket: string, dataDir?: string): Promise<Engine> {
  const server = await startFauxqs({
    // fauxqs binds 0.0.0.0 whatever `host` says (`host` only names queue URLs).
    port: 0,
    logger: false,
    ...(dataDir
      ? { dataDir: join(dataDir, 's3', 'state'), s3StorageDir: join(dataDir, 's3', 'objects') }
      : {}),
  });
  // setup() skips a bucket that already exists (restart on the same data dir).
  server.setup({ buckets: [bucket] });
  return { endpoint: `http://127.0.0.1:${server.port}`, stop: () => server.stop() };
}

/** What the handlers need to find the engines: SDK region, credentials and endpoints, table and bucket names. */
export function engineEnvironment(dynamo: Engine, s3: Engine): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    ...Object.fromEntries(TABLES.map((t) => [t.env, tableName(t)])),
    [ENV.documentsBucket]: DOCUMENTS_BUCKET,
  };
}
