/** JobStore on DynamoDB: jobs keyed (printerId, jobId); jobId sorts by time so a Query lists oldest first. */
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ENV, requireEnv } from '../core/config.ts';
import { ConditionFailedError } from '../core/errors.ts';
import type { JobRecord } from '../core/job.ts';
import { JobState } from '../core/job-state.ts';
import type { JobStore } from '../core/ports.ts';
import { documentClient } from './aws-clients.ts';
import { ExpressionBuilder, isConditionFailure, updateExpression } from './dynamo-update.ts';

export class DynamoJobStore implements JobStore {
  private readonly table: string;

  constructor(table = requireEnv(ENV.jobsTable)) {
    this.table = table;
  }

  async put(job: JobRecord): Promise<void> {
    try {
      await documentClient().send(
        new PutCommand({
          TableName: this.table,
          Item: job,
          ConditionExpression: 'attribute_not_exists(jobId)',
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new ConditionFailedError(`job ${job.jobId} exists`);
      throw error;
    }
  }

  async get(printerId: string, jobId: string): Promise<JobRecord | undefined> {
    const out = await documentClient().send(
      new GetCommand({ TableName: this.table, Key: { printerId, jobId }, ConsistentRead: true }),
    );
    return out.Item as JobRecord | undefined;
  }

  async list(
    printerId: string,
    options: { states?: readonly string[]; limit?: number } = {},
  ): Promise<JobRecord[]> {
    const items: JobRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const b = new ExpressionBuilder();
      const key = `${b.name('printerId')} = ${b.value(printerId)}`;
      const filter = options.states?.length
        ? `${b.name('state')} IN (${options.states.map((s) => b.value(s)).join(', ')})`
        : undefined;
      const expression = b.build({});
      const out = await documentClient().send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: key,
          FilterExpression: filter,
          ExpressionAttributeNames: expression.ExpressionAttributeNames,
          ExpressionAttributeValues: expression.ExpressionAttributeValues,
          ScanIndexForward: true,
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...((out.Items ?? []) as JobRecord[]));
      start = out.LastEvaluatedKey;
    } while (start && (options.limit === undefined || items.length < options.limit));
    return options.limit === undefined ? items : items.slice(0, options.limit);
  }

  async lease(
    printerId: string,
    jobId: string,
    input: { at: string; leaseExpiresAt: string },
  ): Promise<JobRecord> {
    const b = new ExpressionBuilder();
    const update = updateExpression(b, {
      state: JobState.processing,
      leaseExpiresAt: input.leaseExpiresAt,
      updatedAt: input.at,
    });
    const state = b.name('state');
    const lease = b.name('leaseExpiresAt');
    // ISO-8601 UTC strings of one format compare in time order.
    const condition =
      `attribute_exists(${b.name('jobId')}) AND (${state} = ${b.value(JobState.pending)} OR ` +
      `((${state} = ${b.value(JobState.processing)} OR ${state} = ${b.value(JobState.processingStopped)}) AND ` +
      `(attribute_not_exists(${lease}) OR ${lease} <= ${b.value(input.at)})))`;
    return this.update(printerId, jobId, b, update, condition);
  }

  transition(
    printerId: string,
    jobId: string,
    from: JobRecord['state'],
    patch: Parameters<JobStore['transition']>[3],
  ): Promise<JobRecord> {
    const b = new ExpressionBuilder();
    const update = updateExpression(b, {
      state: patch.state,
      updatedAt: patch.at,
      reasons: patch.reasons,
      impressions: patch.impressions,
      leaseExpiresAt: patch.leaseExpiresAt,
      expiresAtEpoch: patch.expiresAtEpoch,
    });
    const condition = `${b.name('state')} = ${b.value(from)}`;
    return this.update(printerId, jobId, b, update, condition);
  }

  private async update(
    printerId: string,
    jobId: string,
    b: ExpressionBuilder,
    update: string,
    condition: string,
  ): Promise<JobRecord> {
    try {
      const out = await documentClient().send(
        new UpdateCommand({
          TableName: this.table,
          Key: { printerId, jobId },
          ...b.build({ update, condition }),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes as JobRecord;
    } catch (error) {
      if (isConditionFailure(error)) throw new ConditionFailedError(`job ${jobId}: condition failed`);
      throw error;
    }
  }
}
