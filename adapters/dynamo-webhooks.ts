/**
 * WebhookStore on DynamoDB: subscriptions in one partition, each webhook's deliveries in its own
 * (core/tables.ts). A delivery's PutItem is the outbox: on AWS the table's stream starts
 * functions/webhook-delivery; where there is no stream (the local cloud, tests) a listener set with
 * `onDeliveryRecorded` is told instead, and runs the same handler.
 */
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ENV, requireEnv } from '../core/config.ts';
import { ConditionFailedError } from '../core/errors.ts';
import type { WebhookStore } from '../core/ports.ts';
import {
  DELIVERY_ITEM_KIND,
  DUE_DELIVERIES_INDEX,
  deliveryPartition,
  WEBHOOK_PARTITION,
} from '../core/tables.ts';
import type { DeliveryRecord, WebhookRecord } from '../core/webhook-record.ts';
import { documentClient } from './aws-clients.ts';
import { isConditionFailure } from './dynamo-update.ts';
import { logger } from './logger.ts';

export type DeliveryListener = (keys: { pk: string; sk: string }) => void;
let listener: DeliveryListener | undefined;

/** Where no DynamoDB stream runs: `next` hears of every new delivery item. Returns what stops it. */
export function onDeliveryRecorded(next: DeliveryListener): () => void {
  listener = next;
  return () => {
    if (listener === next) listener = undefined;
  };
}

function strip<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, kind: _kind, dueShard: _due, ...rest } = item;
  return rest as T;
}

/** A stored delivery: `nextAttemptAt` is REMOVEd, not null, once it is over (an index key cannot be NULL). */
function deliveryOf(item: Record<string, unknown> | undefined): DeliveryRecord | undefined {
  const delivery = strip<DeliveryRecord>(item);
  return delivery ? { ...delivery, nextAttemptAt: delivery.nextAttemptAt ?? null } : undefined;
}

const DUE = 'due';

export class DynamoWebhookStore implements WebhookStore {
  private readonly table: string;

  constructor(table = requireEnv(ENV.webhooksTable)) {
    this.table = table;
  }

  async put(hook: WebhookRecord): Promise<void> {
    await documentClient().send(
      new PutCommand({ TableName: this.table, Item: { pk: WEBHOOK_PARTITION, sk: hook.webhookId, ...hook } }),
    );
  }

  async get(webhookId: string): Promise<WebhookRecord | undefined> {
    const out = await documentClient().send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: WEBHOOK_PARTITION, sk: webhookId },
        ConsistentRead: true,
      }),
    );
    return strip<WebhookRecord>(out.Item);
  }

  async list(): Promise<WebhookRecord[]> {
    try {
      return (await this.query(WEBHOOK_PARTITION)).map((item) => strip<WebhookRecord>(item) as WebhookRecord);
    } catch (error) {
      logger.error('webhooks: listing subscriptions failed', { error: error as Error });
      throw error;
    }
  }

  async delete(webhookId: string): Promise<boolean> {
    const out = await documentClient().send(
      new DeleteCommand({
        TableName: this.table,
        Key: { pk: WEBHOOK_PARTITION, sk: webhookId },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return out.Attributes !== undefined;
  }

  async putDelivery(delivery: DeliveryRecord): Promise<void> {
    const pk = deliveryPartition(delivery.webhookId);
    try {
      await documentClient().send(
        new PutCommand({
          TableName: this.table,
          Item: {
            pk,
            sk: delivery.deliveryId,
            kind: DELIVERY_ITEM_KIND,
            ...delivery,
            ...(delivery.nextAttemptAt ? { [DUE_DELIVERIES_INDEX.partitionKey]: DUE } : {}),
          },
        }),
      );
    } catch (error) {
      logger.error('webhooks: recording a delivery failed', { error: error as Error, type: delivery.type });
      throw error;
    }
    listener?.({ pk, sk: delivery.deliveryId });
  }

  async getDelivery(webhookId: string, deliveryId: string): Promise<DeliveryRecord | undefined> {
    const out = await documentClient().send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: deliveryPartition(webhookId), sk: deliveryId },
        ConsistentRead: true,
      }),
    );
    return deliveryOf(out.Item);
  }

  async listDeliveries(webhookId: string, limit: number): Promise<DeliveryRecord[]> {
    const items = await this.query(deliveryPartition(webhookId), limit);
    return items.map((item) => deliveryOf(item) as DeliveryRecord);
  }

  async listDue(at: string, limit: number): Promise<DeliveryRecord[]> {
    const out = await documentClient().send(
      new QueryCommand({
        TableName: this.table,
        IndexName: DUE_DELIVERIES_INDEX.name,
        KeyConditionExpression: '#p = :p AND #s <= :at',
        ExpressionAttributeNames: {
          '#p': DUE_DELIVERIES_INDEX.partitionKey,
          '#s': DUE_DELIVERIES_INDEX.sortKey,
        },
        ExpressionAttributeValues: { ':p': DUE, ':at': at },
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => deliveryOf(item) as DeliveryRecord);
  }

  async updateDelivery(
    webhookId: string,
    deliveryId: string,
    patch: Parameters<WebhookStore['updateDelivery']>[2],
  ): Promise<void> {
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: deliveryPartition(webhookId), sk: deliveryId },
          // pending: due again at nextAttemptAt (in the due index); over: out of the index
          UpdateExpression:
            patch.nextAttemptAt === null
              ? 'SET #s = :s, attempts = :a, updatedAt = :u REMOVE nextAttemptAt, #d'
              : 'SET #s = :s, attempts = :a, updatedAt = :u, nextAttemptAt = :n, #d = :d',
          ConditionExpression: 'attribute_exists(pk) AND size(attempts) = :r',
          ExpressionAttributeNames: { '#s': 'status', '#d': DUE_DELIVERIES_INDEX.partitionKey },
          ExpressionAttributeValues: {
            ':s': patch.status,
            ':a': patch.attempts,
            ':u': patch.updatedAt,
            ':r': patch.recordedAttempts,
            ...(patch.nextAttemptAt === null ? {} : { ':n': patch.nextAttemptAt, ':d': DUE }),
          },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new ConditionFailedError();
      throw error;
    }
  }

  /** A partition's items; with `limit`, the newest `limit` (sort keys are time-sortable). */
  private async query(pk: string, limit?: number): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await documentClient().send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': pk },
          ExclusiveStartKey: start,
          ...(limit ? { Limit: limit - items.length, ScanIndexForward: false } : {}),
        }),
      );
      items.push(...((out.Items ?? []) as Record<string, unknown>[]));
      start = out.LastEvaluatedKey;
    } while (start && (!limit || items.length < limit));
    return items;
  }
}
