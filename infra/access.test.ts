import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DUE_DELIVERIES_INDEX, OPEN_JOBS_INDEX, SHARE_KEYS_INDEX, TABLES } from '../core/tables.ts';
import { DOCUMENT_ACTIONS, FUNCTION_ACCESS, type FunctionName, TABLE_ACTIONS } from './access.ts';
import { FUNCTION_NAMES, indexArn } from './functions.ts';
import { allowedActions, dispose, logicalId, resolvedKey, type Synthesized, synthesize } from './testing.ts';

let s: Synthesized;
// the template alone (bundles: infra/lambda-layout.test.ts); allow for a busy machine
beforeAll(() => {
  s = synthesize({ bundle: false });
}, 300_000);
afterAll(() => dispose(s));

const tableKey = (name: (typeof TABLES)[number]['name']) =>
  resolvedKey(s, s.stack.data.tables[name].tableArn);
const objectsKey = () => resolvedKey(s, s.stack.data.documents.arnForObjects('*'));
const secretKey = () => resolvedKey(s, s.stack.data.ownerKey.secretArn);
const actionsOn = (name: FunctionName, key: string): string[] =>
  [...(allowedActions(s, name).get(key) ?? [])].sort();
const allActions = (name: FunctionName): string[] =>
  [...allowedActions(s, name).values()].flatMap((set) => [...set]);

describe('least privilege, from the synthesized policies', () => {
  it('grants each function exactly the table actions infra/access.ts lists, and none on other tables', () => {
    for (const name of FUNCTION_NAMES) {
      for (const table of TABLES) {
        const rights = FUNCTION_ACCESS[name].tables[table.name] ?? [];
        const expected = rights.flatMap((right) => TABLE_ACTIONS[right]).sort();
        expect(actionsOn(name, tableKey(table.name)), `${name} on ${table.name}`).toEqual(expected);
      }
    }
  });

  it('never grants batch, transaction or wildcard DynamoDB actions, stream reads only to webhook-delivery, and Scan only for the printer listing', () => {
    const streamActions = /^dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams)$/;
    for (const name of FUNCTION_NAMES) {
      for (const action of allActions(name).filter((a) => a.startsWith('dynamodb:'))) {
        if (name === 'webhook-delivery' && streamActions.test(action)) continue;
        expect(action).toMatch(/^dynamodb:(GetItem|Query|PutItem|UpdateItem|DeleteItem|Scan)$/);
      }
      const streamed = allActions(name).filter((a) => streamActions.test(a));
      expect(streamed.length > 0, name).toBe(name === 'webhook-delivery');
      const scans = TABLES.filter((t) => actionsOn(name, tableKey(t.name)).includes('dynamodb:Scan')).map(
        (t) => t.name,
      );
      expect(scans, name).toEqual(name === 'terminal' ? ['printers'] : []);
    }
  });

  it('lets exactly the functions that list jobs query the open-jobs index, by its own ARN', () => {
    const indexKey = resolvedKey(s, indexArn(s.stack.data.tables.jobs, OPEN_JOBS_INDEX.name));
    for (const name of FUNCTION_NAMES) {
      // convert-upload reads its one job by key, never a listing
      const readsJobs =
        name !== 'convert-upload' && (FUNCTION_ACCESS[name].tables.jobs ?? []).includes('read');
      expect(actionsOn(name, indexKey), name).toEqual(readsJobs ? ['dynamodb:Query'] : []);
    }
    expect(actionsOn('jobs', indexKey)).toEqual(['dynamodb:Query']);
  });

  it('lets only webhook-delivery query the due-deliveries index, by its own ARN', () => {
    const indexKey = resolvedKey(s, indexArn(s.stack.data.tables.webhooks, DUE_DELIVERIES_INDEX.name));
    for (const name of FUNCTION_NAMES) {
      expect(actionsOn(name, indexKey), name).toEqual(name === 'webhook-delivery' ? ['dynamodb:Query'] : []);
    }
  });

  it('lets only terminal and ipp (capability URLs) query the share-keys index, and only terminal and register delete credentials', () => {
    const indexKey = resolvedKey(s, indexArn(s.stack.data.tables.credentials, SHARE_KEYS_INDEX.name));
    for (const name of FUNCTION_NAMES) {
      expect(actionsOn(name, indexKey), name).toEqual(
        name === 'terminal' || name === 'ipp' ? ['dynamodb:Query'] : [],
      );
      const deletes = actionsOn(name, tableKey('credentials')).includes('dynamodb:DeleteItem');
      expect(deletes, name).toBe(name === 'terminal' || name === 'register');
    }
  });

  it('print-request creates jobs but cannot delete or scan them', () => {
    const onJobs = actionsOn('print-request', tableKey('jobs'));
    expect(onJobs).toContain('dynamodb:PutItem');
    expect(onJobs).not.toContain('dynamodb:DeleteItem');
    expect(onJobs).not.toContain('dynamodb:Scan');
    expect(actionsOn('print-request', tableKey('credentials'))).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
    ]);
  });

  it('the authorizer can only read credentials: no write, no bucket, no secret, no connections', () => {
    const actions = allActions('authorizer').filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:'));
    expect(actions.sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    expect([...allowedActions(s, 'authorizer').keys()]).not.toContain(tableKey('printers'));
  });

  it('the connect function records presence on the printers table only: no credentials, bucket or secret', () => {
    const actions = allActions('connect').filter(
      (a) => !a.startsWith('logs:') && !a.startsWith('xray:') && a !== 'execute-api:ManageConnections',
    );
    expect(actions.sort()).toEqual(
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'].sort(),
    );
    expect(actionsOn('connect', tableKey('credentials'))).toEqual([]);
    expect(actionsOn('connect', tableKey('printers'))).toContain('dynamodb:UpdateItem');
  });

  it('only the functions that push or close sockets may manage connections, on this API stage only', () => {
    const managers = FUNCTION_NAMES.filter((name) =>
      allActions(name).includes('execute-api:ManageConnections'),
    );
    // connect: closes a socket whose token was replaced (re-registration) when it speaks; convert-upload pushes the hint
    expect(managers.sort()).toEqual(['connect', 'convert-upload', 'ipp', 'print-request', 'register']);
    for (const name of managers) {
      const [resource] = [...allowedActions(s, name)].find(([, actions]) =>
        actions.has('execute-api:ManageConnections'),
      ) ?? [''];
      expect(resource).toContain(`/v1/*/@connections/*`);
      expect(resource).toContain(JSON.stringify({ Ref: logicalId(s, s.stack.webSocketApi.api) }));
    }
  });

  it('bucket object rights follow the table: print-request put/get/delete, jobs get/delete, others none', () => {
    for (const name of FUNCTION_NAMES) {
      const expected = (FUNCTION_ACCESS[name].documents ?? []).map((right) => DOCUMENT_ACTIONS[right]).sort();
      expect(actionsOn(name, objectsKey()), name).toEqual(expected);
      expect(
        allActions(name)
          .filter((a) => a.startsWith('s3:'))
          .sort(),
        name,
      ).toEqual(expected);
    }
    expect(actionsOn('print-request', objectsKey())).toEqual([
      's3:DeleteObject',
      's3:GetObject',
      's3:PutObject',
    ]);
    expect(actionsOn('jobs', objectsKey())).not.toContain('s3:PutObject');
  });

  it('only HTTP handlers read the owner key (every bearer check compares with it first)', () => {
    const readers = FUNCTION_NAMES.filter((name) =>
      actionsOn(name, secretKey()).includes('secretsmanager:GetSecretValue'),
    );
    expect(readers.sort()).toEqual([
      'ipp',
      'jobs',
      'print-request',
      'printer-commands',
      'register',
      'terminal',
    ]);
    for (const name of FUNCTION_NAMES) {
      expect(allActions(name).filter((a) => a.startsWith('secretsmanager:')).length > 0).toBe(
        readers.includes(name),
      );
    }
  });

  it('allows "*" resources only for X-Ray, which has no resource-level permissions', () => {
    for (const name of FUNCTION_NAMES) {
      const onAnything = [...(allowedActions(s, name).get(JSON.stringify('*')) ?? [])].sort();
      const streams = name === 'webhook-delivery' ? ['dynamodb:ListStreams'] : [];
      expect(onAnything, name).toEqual([...streams, 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    }
  });

  it('each role writes only to its own log group', () => {
    for (const name of FUNCTION_NAMES) {
      const fn = s.stack.functions.byName[name];
      const own = resolvedKey(s, fn.logGroup.logGroupArn);
      const logResources = [...allowedActions(s, name)].filter(([, actions]) =>
        [...actions].some((a) => a.startsWith('logs:')),
      );
      expect(logResources.map(([key]) => key)).toEqual([own]);
    }
  });
});
