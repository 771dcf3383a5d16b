/** The AWS implementation of every port, built once per handler module. */
import type { Ports } from '../core/ports.ts';
import { settingsFromEnv } from '../core/settings.ts';
import { DynamoCredentialStore } from './dynamo-credentials.ts';
import { DynamoGuardStore } from './dynamo-guards.ts';
import { DynamoJobStore } from './dynamo-jobs.ts';
import { DynamoPrinterStore } from './dynamo-printers.ts';
import { DynamoRegistrationStore } from './dynamo-registrations.ts';
import { DynamoWebhookStore } from './dynamo-webhooks.ts';
import { logger } from './logger.ts';
import { EnvOrSecretOwnerKey } from './owner-key.ts';
import { S3DocumentStore } from './s3-documents.ts';
import { WsNotifier } from './ws-notifier.ts';

/** Only the stores a handler uses are created, so a handler needs only its own table settings. */
export function awsPorts(): Ports {
  const cache = new Map<string, unknown>();
  const once = <T>(name: string, make: () => T): T => {
    if (!cache.has(name)) cache.set(name, make());
    return cache.get(name) as T;
  };
  const ports: Ports = {
    get printers() {
      return once('printers', () => new DynamoPrinterStore());
    },
    get jobs() {
      return once('jobs', () => new DynamoJobStore());
    },
    get registrations() {
      return once('registrations', () => new DynamoRegistrationStore());
    },
    get credentials() {
      return once('credentials', () => new DynamoCredentialStore());
    },
    get guards() {
      return once('guards', () => new DynamoGuardStore());
    },
    get documents() {
      return once('documents', () => new S3DocumentStore());
    },
    get notifier() {
      return once('notifier', () => new WsNotifier(ports.printers));
    },
    get webhooks() {
      return once('webhooks', () => new DynamoWebhookStore());
    },
    get ownerKey() {
      return once('ownerKey', () => new EnvOrSecretOwnerKey());
    },
    clock: { now: () => new Date() },
    get settings() {
      return once('settings', settingsFromEnv);
    },
    log: logger,
  };
  return ports;
}
