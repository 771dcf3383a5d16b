/** GuardStore on DynamoDB: rate-limit counters and idempotency / PIN pointer records, with expiry. */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ENV, requireEnv } from '../core/config.ts';
import type { GuardStore } from '../core/ports.ts';
import { documentClient } from './aws-clients.ts';
import { ExpressionBuilder, isConditionFailure, updateExpression } from './dynamo-update.ts';

interface GuardItem {
  guardKey: string;
  value?: string;
  count?: number;
  expiresAtEpoch: number;
}

export class DynamoGuardStore implements GuardStore {
  private readonly table: string;

  constructor(table = requireEnv(ENV.guardsTable)) {
    this.table = table;
  }

  async putIfAbsent(
    key: string,
    value: string,
    expiresAtEpoch: number,
    nowEpoch: number,
  ): Promise<{ created: true } | { created: false; value: string }> {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        // An expired record (no TTL locally) counts as absent.
        await documentClient().send(
          new PutCommand({
            TableName: this.table,
            Item: { guardKey: key, value, expiresAtEpoch } satisfies GuardItem,
            ConditionExpression: 'attribute_not_exists(guardKey) OR expiresAtEpoch < :now',
            ExpressionAttributeValues: { ':now': nowEpoch },
          }),
        );
        return { created: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      const existing = await this.get(key, nowEpoch);
      if (existing !== undefined) return { created: false, value: existing };
      // Deleted between the two calls: try the write again.
    }
    throw new Error(`guard ${key}: could not settle`);
  }

  async get(key: string, nowEpoch: number): Promise<string | undefined> {
    const item = await this.read(key);
    if (!item || item.expiresAtEpoch < nowEpoch) return undefined;
    return item.value;
  }

  async take(key: string, limit: number, expiresAtEpoch: number): Promise<boolean> {
    const b = new ExpressionBuilder();
    const update = updateExpression(b, { expiresAtEpoch }, { add: { count: 1 } });
    const count = b.name('count');
    const condition = `attribute_not_exists(${count}) OR ${count} < ${b.value(limit)}`;
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: this.table,
          Key: { guardKey: key },
          ...b.build({ update, condition }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async increment(key: string, expiresAtEpoch: number): Promise<number> {
    const b = new ExpressionBuilder();
    const update = updateExpression(b, { expiresAtEpoch }, { add: { count: 1 } });
    const out = await documentClient().send(
      new UpdateCommand({
        TableName: this.table,
        Key: { guardKey: key },
        ...b.build({ update }),
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.count ?? 0);
  }

  async count(key: string): Promise<number> {
    return Number((await this.read(key))?.count ?? 0);
  }

  async delete(key: string): Promise<void> {
    await documentClient().send(new DeleteCommand({ TableName: this.table, Key: { guardKey: key } }));
  }

  private async read(key: string): Promise<GuardItem | undefined> {
    const out = await documentClient().send(
      new GetCommand({ TableName: this.table, Key: { guardKey: key }, ConsistentRead: true }),
    );
    return out.Item as GuardItem | undefined;
  }
}
