import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvOrSecretOwnerKey } from '../adapters/owner-key.ts';
import { hashSecret } from '../core/secrets.ts';
import { rotateOwnerKey } from './rotate-owner-key.ts';

/** A real HTTP listener answering Secrets Manager's JSON protocol for PutSecretValue and GetSecretValue. */
const stored = new Map<string, string>();
const targets: string[] = [];
let server: Server;
let endpoint: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      const target = String(req.headers['x-amz-target']);
      targets.push(target);
      const input = JSON.parse(body) as { SecretId: string; SecretString?: string };
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (target === 'secretsmanager.PutSecretValue' && input.SecretString) {
        stored.set(input.SecretId, input.SecretString);
        res.end(JSON.stringify({ ARN: input.SecretId, VersionId: `v${stored.size}` }));
      } else if (target === 'secretsmanager.GetSecretValue' && stored.has(input.SecretId)) {
        res.end(JSON.stringify({ ARN: input.SecretId, SecretString: stored.get(input.SecretId) }));
      } else {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'no such secret' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = () =>
  new SecretsManagerClient({
    endpoint,
    region: 'eu-central-1',
    credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'test' },
    maxAttempts: 1,
  });

describe('rotateOwnerKey', () => {
  const savedArn = process.env.OWNER_KEY_SECRET_ARN;
  afterAll(() => {
    process.env.OWNER_KEY_SECRET_ARN = savedArn ?? '';
  });

  it('puts a new 256-bit key into the secret, the one the owner-key adapter then reads', async () => {
    // Prepare
    const arn = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:owner-key';
    process.env.OWNER_KEY_SECRET_ARN = arn;
    const adapter = new EnvOrSecretOwnerKey({
      readSecret: async (id) =>
        (await client().send(new GetSecretValueCommand({ SecretId: id }))).SecretString ?? '',
    });
    // Act
    const first = await rotateOwnerKey(client(), arn);
    const second = await rotateOwnerKey(client(), arn);
    const hash = await adapter.ownerKeyHash();
    // Assess
    expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second).not.toBe(first);
    expect(stored.get(arn)).toBe(second);
    expect(targets.filter((t) => t === 'secretsmanager.PutSecretValue')).toHaveLength(2);
    expect(hash).toBe(hashSecret(second));
  });
});
