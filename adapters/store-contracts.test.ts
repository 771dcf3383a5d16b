/** The storage contracts (core/testing/store-contracts.ts) run against both implementations of each port. */
import { afterAll, beforeAll } from 'vitest';
import { memoryPorts } from '../core/testing/memory-ports.ts';
import {
  credentialStoreContract,
  guardStoreContract,
  jobStoreContract,
  printerStoreContract,
  registrationStoreContract,
} from '../core/testing/store-contracts.ts';
import { type Engine, engineEnvironment, startDynamo, startS3 } from '../local/engines.ts';
import { DOCUMENTS_BUCKET } from '../local/names.ts';
import { DynamoCredentialStore } from './dynamo-credentials.ts';
import { DynamoGuardStore } from './dynamo-guards.ts';
import { DynamoJobStore } from './dynamo-jobs.ts';
import { DynamoPrinterStore } from './dynamo-printers.ts';
import { DynamoRegistrationStore } from './dynamo-registrations.ts';

let dynamo: Engine;
let s3: Engine;

beforeAll(async () => {
  dynamo = await startDynamo();
  s3 = await startS3(DOCUMENTS_BUCKET);
  Object.assign(process.env, engineEnvironment(dynamo, s3));
});

afterAll(async () => {
  await s3?.stop();
  await dynamo?.stop();
});

printerStoreContract('memory', () => memoryPorts().printers);
printerStoreContract('DynamoDB', () => new DynamoPrinterStore());
jobStoreContract('memory', () => memoryPorts().jobs);
jobStoreContract('DynamoDB', () => new DynamoJobStore());
registrationStoreContract('memory', () => memoryPorts().registrations);
registrationStoreContract('DynamoDB', () => new DynamoRegistrationStore());
credentialStoreContract('memory', () => memoryPorts().credentials);
credentialStoreContract('DynamoDB', () => new DynamoCredentialStore());
guardStoreContract('memory', () => memoryPorts().guards);
guardStoreContract('DynamoDB', () => new DynamoGuardStore());
