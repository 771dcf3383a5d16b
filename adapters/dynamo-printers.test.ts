import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Engine, engineEnvironment, startDynamo, startS3 } from '../local/engines.ts';
import { DOCUMENTS_BUCKET } from '../local/names.ts';
import { documentClient } from './aws-clients.ts';
import { DynamoPrinterStore } from './dynamo-printers.ts';

let dynamo: Engine;
let s3: Engine;
const sent: Array<{ command: string; input: Record<string, unknown> }> = [];

beforeAll(async () => {
  dynamo = await startDynamo();
  s3 = await startS3(DOCUMENTS_BUCKET);
  Object.assign(process.env, engineEnvironment(dynamo, s3));
  documentClient().middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({ command: context.commandName ?? '', input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize', name: 'testCapture' },
  );
});

afterAll(async () => {
  await s3?.stop();
  await dynamo?.stop();
});

describe('DynamoPrinterStore.get', () => {
  it('reads strongly consistent: the accepting decision sees a stop instruction that was just answered 200', async () => {
    // Prepare
    const store = new DynamoPrinterStore();
    const at = '2026-03-01T00:00:00.000Z';
    await store.register({ printerId: 'P1', name: 'Office', capabilities: {}, tokenHash: 'h', at });
    await store.setAccepting('P1', { acceptingJobs: true, reason: null, setBy: 'printer', at, seen: true });
    sent.length = 0;
    // Act
    const printer = await store.get('P1');
    // Assess
    expect(printer?.acceptingJobs).toBe(true);
    expect(sent).toEqual([
      { command: 'GetItemCommand', input: expect.objectContaining({ ConsistentRead: true }) },
    ]);
  });
});
