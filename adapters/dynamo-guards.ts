/** GuardStore on DynamoDB: rate-limit counters and idempotency / PIN pointer records, with expiry. */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ENV, requireEnv } from '../core/config.ts';
import type { GuardStore, IdempotencyRecord } from '../core/ports.ts';
import { documentClient } from './aws-clients.ts';
import { ExpressionBuilder, isConditionFailure, updateExpression } from './dynamo-update.ts';

interface GuardItem {
  guardKey: string;
  value?: string;
  count?: number;
  expiresAtEpoch: number;
  /** Idempotency records: `value` is the jobId. */
  fingerprint?: string;
  status?: IdempotencyRecord['status'];
  inProgressUntil?: number;
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

  async claimIdempotency(
    key: string,
    record: IdempotencyRecord,
    nowMs: number,
  ): Promise<{ created: true } | { created: false; record: IdempotencyRecord }> {
    const nowEpoch = Math.floor(nowMs / 1000);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        // Free when absent, expired (no TTL locally) or in progress past its request's deadline.
        await documentClient().send(
          new PutCommand({
            TableName: this.table,
            Item: {
              guardKey: key,
              value: record.jobId,
              fingerprint: record.fingerprint,
              status: record.status,
              inProgressUntil: record.inProgressUntil,
              expiresAtEpoch: record.expiresAtEpoch,
            } satisfies GuardItem,
            ConditionExpression:
              'attribute_not_exists(guardKey) OR expiresAtEpoch < :nowEpoch OR (#status = :inProgress AND inProgressUntil < :nowMs)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':nowEpoch': nowEpoch,
              ':nowMs': nowMs,
              ':inProgress': 'in-progress',
            },
          }),
        );
        return { created: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      const item = await this.read(key);
      if (item?.value !== undefined && item.fingerprint !== undefined && item.status !== undefined) {
        return {
          created: false,
          record: {
            jobId: item.value,
            fingerprint: item.fingerprint,
            status: item.status,
            inProgressUntil: Number(item.inProgressUntil ?? 0),
            expiresAtEpoch: Number(item.expiresAtEpoch),
          },
        };
      }
      // Deleted (or lapsed) between the two calls: try the write again.
    }
    throw new Error(`guard ${key}: could not settle`);
  }

  async completeIdempotency(key: string, jobId: string): Promise<void> {
    await this.unlessTakenOver(
      new UpdateCommand({
        TableName: this.table,
        Key: { guardKey: key },
        UpdateExpression: 'SET #status = :completed',
        ConditionExpression: '#value = :jobId',
        ExpressionAttributeNames: { '#status': 'status', '#value': 'value' },
        ExpressionAttributeValues: { ':completed': 'completed', ':jobId': jobId },
      }),
    );
  }

  async releaseIdempotency(key: string, jobId: string): Promise<void> {
    await this.unlessTakenOver(
      new DeleteCommand({
        TableName: this.table,
        Key: { guardKey: key },
        ConditionExpression: '#value = :jobId',
        ExpressionAttributeNames: { '#value': 'value' },
        ExpressionAttributeValues: { ':jobId': jobId },
      }),
    );
  }

  /** A request whose record another request has taken over (after its deadline) leaves it alone. */
  private async unlessTakenOver(command: UpdateCommand | DeleteCommand): Promise<void> {
    try {
      await documentClient().send(command);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  private async read(key: string): Promise<GuardItem | undefined> {
    const out = await documentClient().send(
      new GetCommand({ TableName: this.table, Key: { guardKey: key }, ConsistentRead: true }),
    );
    return out.Item as GuardItem | undefined;
  }
}
