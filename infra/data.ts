/**
 * Where the cloud keeps things: the DynamoDB tables of core/tables.ts, the documents bucket (print
 * data, short-lived), and the owner key. Tables hold the service's state and are retained when the
 * stack goes; print data expires on its own.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  HttpMethods,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { DOCUMENT_RETENTION_DAYS } from '../core/retention.ts';
import { DOCUMENT_UPLOAD_CORS, TABLES, type TableSchema } from '../core/tables.ts';
import { acknowledge } from './nag.ts';

export type TableName = TableSchema['name'];

/**
 * Print data is kept as long as the longest a job waits for its printer plus a last lease
 * (core/retention.ts: the one rule); a finished job's document is deleted when it finishes.
 */
export { DOCUMENT_RETENTION_DAYS };

export class Data extends Construct {
  readonly tables: Record<TableName, Table>;
  readonly documents: Bucket;
  readonly accessLogs: Bucket;
  readonly ownerKey: Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    const tables = {} as Record<TableName, Table>;
    for (const schema of TABLES) {
      tables[schema.name] = new Table(this, tableId(schema.name), {
        partitionKey: { name: schema.partitionKey, type: AttributeType.STRING },
        ...(schema.sortKey ? { sortKey: { name: schema.sortKey, type: AttributeType.STRING } } : {}),
        ...(schema.ttlAttribute ? { timeToLiveAttribute: schema.ttlAttribute } : {}),
        ...(schema.stream ? { stream: StreamViewType.NEW_IMAGE } : {}),
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: TableEncryption.AWS_MANAGED,
        removalPolicy: RemovalPolicy.RETAIN,
        // a stray `delete-table` (console, script) is refused too, not only a stack deletion
        deletionProtection: true,
      });
      for (const index of schema.indexes ?? []) {
        tables[schema.name].addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
          sortKey: { name: index.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.ALL,
        });
      }
    }
    this.tables = tables;

    this.accessLogs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.accessLogs,
      'AwsSolutions-S1',
      'This is the access log bucket; logging it into itself would loop.',
    );

    this.documents = new Bucket(this, 'Documents', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'documents/',
      lifecycleRules: [
        {
          id: 'expire-print-data',
          expiration: Duration.days(DOCUMENT_RETENTION_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      // browser terminals PUT large documents straight to presigned URLs; the signature is the auth
      cors: [
        {
          allowedMethods: DOCUMENT_UPLOAD_CORS.allowedMethods.map((method) => HttpMethods[method]),
          allowedOrigins: [...DOCUMENT_UPLOAD_CORS.allowedOrigins],
          allowedHeaders: [...DOCUMENT_UPLOAD_CORS.allowedHeaders],
          exposedHeaders: [...DOCUMENT_UPLOAD_CORS.exposedHeaders],
          maxAge: DOCUMENT_UPLOAD_CORS.maxAgeSeconds,
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.ownerKey = new Secret(this, 'OwnerKey', {
      description: 'cloudprint owner key: the bearer secret that may do everything (docs/api.md)',
      generateSecretString: { passwordLength: 43, excludePunctuation: true, includeSpace: false },
      // kept with the tables it guards: a re-created stack over retained tables keeps its owner key
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.ownerKey,
      'AwsSolutions-SMG4',
      'The owner key is a credential a person holds and types; automatic rotation would lock the owner out. The owner rotates it by putting a new value.',
    );
  }
}

function tableId(name: TableName): string {
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}Table`;
}
