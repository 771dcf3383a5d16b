/**
 * Looks straight into the local cloud's embedded engines (their endpoints are in local.json), to prove
 * what was NOT done: no object stored, no job item written.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { LocalJson } from './processes.ts';

export interface StorageCounts {
  objects: number;
  jobs: number;
}

export async function countStorage(local: LocalJson): Promise<StorageCounts> {
  const dynamodbEndpoint = String(local.dynamodbEndpoint);
  const s3Endpoint = String(local.s3Endpoint);
  const tables = local.tables as Record<string, string>;
  // the local S3 checks signatures with the credentials local.json names
  const credentials = local.credentials as { accessKeyId: string; secretAccessKey: string };
  const dynamo = new DynamoDBClient({ endpoint: dynamodbEndpoint, region: 'us-east-1', credentials });
  const s3 = new S3Client({ endpoint: s3Endpoint, region: 'us-east-1', credentials, forcePathStyle: true });
  try {
    const jobs = await dynamo.send(new ScanCommand({ TableName: tables.jobs, Select: 'COUNT' }));
    let objects = 0;
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: String(local.bucket), ContinuationToken: token }),
      );
      objects += page.KeyCount ?? 0;
      token = page.NextContinuationToken;
    } while (token);
    return { objects, jobs: jobs.Count ?? 0 };
  } finally {
    dynamo.destroy();
    s3.destroy();
  }
}
