/** RegistrationStore on DynamoDB. Expiry is checked by the domain at read time (no TTL locally). */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ENV, requireEnv } from '../core/config.ts';
import { ConditionFailedError } from '../core/errors.ts';
import type { RegistrationStore } from '../core/ports.ts';
import type { RegistrationRecord } from '../core/registration-record.ts';
import { documentClient } from './aws-clients.ts';
import { ExpressionBuilder, isConditionFailure, updateExpression } from './dynamo-update.ts';

export class DynamoRegistrationStore implements RegistrationStore {
  private readonly table: string;

  constructor(table = requireEnv(ENV.registrationsTable)) {
    this.table = table;
  }

  async create(registration: RegistrationRecord): Promise<void> {
    try {
      await documentClient().send(
        new PutCommand({
          TableName: this.table,
          Item: registration,
          ConditionExpression: 'attribute_not_exists(registrationId)',
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) throw new ConditionFailedError('registration exists');
      throw error;
    }
  }

  async get(registrationId: string): Promise<RegistrationRecord | undefined> {
    const out = await documentClient().send(
      new GetCommand({ TableName: this.table, Key: { registrationId }, ConsistentRead: true }),
    );
    return out.Item as RegistrationRecord | undefined;
  }

  async recordPoll(registrationId: string, atMs: number, minIntervalMs: number): Promise<void> {
    const b = new ExpressionBuilder();
    const update = updateExpression(b, { lastPollAtMs: atMs });
    const last = b.name('lastPollAtMs');
    // attribute_exists: an update of a missing key would create a registration of nothing but lastPollAtMs.
    const condition =
      `attribute_exists(${b.name('registrationId')}) AND ` +
      `(attribute_not_exists(${last}) OR ${last} <= ${b.value(atMs - minIntervalMs)})`;
    await this.update(registrationId, b, update, condition);
  }

  async takePinAttempt(registrationId: string, max: number): Promise<number> {
    const b = new ExpressionBuilder();
    const update = updateExpression(b, {}, { add: { failedAttempts: 1 } });
    const attempts = b.name('failedAttempts');
    const condition =
      `${b.name('status')} = ${b.value('pending')} AND ` +
      `(attribute_not_exists(${attempts}) OR ${attempts} < ${b.value(max)})`;
    const out = await this.update(registrationId, b, update, condition);
    return Number(out?.failedAttempts ?? 0);
  }

  async setStatus(
    registrationId: string,
    from: RegistrationRecord['status'],
    to: RegistrationRecord['status'],
  ): Promise<void> {
    const b = new ExpressionBuilder();
    const update = updateExpression(b, { status: to });
    const condition = `${b.name('status')} = ${b.value(from)}`;
    await this.update(registrationId, b, update, condition);
  }

  private async update(
    registrationId: string,
    b: ExpressionBuilder,
    update: string,
    condition: string,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const out = await documentClient().send(
        new UpdateCommand({
          TableName: this.table,
          Key: { registrationId },
          ...b.build({ update, condition }),
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return out.Attributes;
    } catch (error) {
      if (isConditionFailure(error))
        throw new ConditionFailedError(`registration ${registrationId}: condition failed`);
      throw error;
    }
  }
}
