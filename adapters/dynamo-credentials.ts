/** CredentialStore on DynamoDB: sha256(secret) → who holds it. The secret itself is never stored. */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ENV, requireEnv } from '../core/config.ts';
import type { CredentialRecord, CredentialStore } from '../core/ports.ts';
import { documentClient } from './aws-clients.ts';

export class DynamoCredentialStore implements CredentialStore {
  private readonly table: string;

  constructor(table = requireEnv(ENV.credentialsTable)) {
    this.table = table;
  }

  async put(credential: CredentialRecord): Promise<void> {
    await documentClient().send(new PutCommand({ TableName: this.table, Item: credential }));
  }

  async get(secretHash: string): Promise<CredentialRecord | undefined> {
    const out = await documentClient().send(new GetCommand({ TableName: this.table, Key: { secretHash } }));
    return out.Item as CredentialRecord | undefined;
  }

  async delete(secretHash: string): Promise<void> {
    await documentClient().send(new DeleteCommand({ TableName: this.table, Key: { secretHash } }));
  }
}
