/**
 * Delivering one recorded event to its webhook: signed POSTs, retried with backoff (RETRY_SCHEDULE), every
 * attempt written to the delivery log as it happens. At least once: a receiver drops repeats by the
 * event's `id` (the stream may hand a delivery over twice).
 */
import { ConditionFailedError } from './errors.ts';
import type { Ports, WebhookSender } from './ports.ts';
import { type DeliveryAttempt, type DeliveryRecord, DeliveryStatus } from './webhook-record.ts';
import { SIGNATURE_HEADER, signWebhookPayload } from './webhook-signature.ts';

type DeliveryPorts = Pick<Ports, 'webhooks' | 'clock'>;

/**
 * When each attempt is due after the previous one, in units of the base delay (1 s): the first six
 * back to back inside one invocation (0, 1, 2, 4, 8, 16 s), then five more brought back by the sweep
 * (5 min, 30 min, 2 h, 8 h, 24 h): a receiver may be down for a day and a half and still get the event.
 */
export const RETRY_SCHEDULE = [0, 1, 2, 4, 8, 16, 300, 1_800, 7_200, 28_800, 86_400] as const;
export const MAX_ATTEMPTS = RETRY_SCHEDULE.length;
/** Attempts made inside the invocation that took the new delivery; the later ones wait for the sweep. */
export const INLINE_ATTEMPTS = 6;
export const DEFAULT_RETRY_BASE_MS = 1_000;
/** How long one attempt waits for the receiver's answer. */
export const ATTEMPT_TIMEOUT_MS = 5_000;
/** A pending delivery untouched this long lost its invocation (functions/routes.ts: 120 s): the sweep takes it over. */
export const STALE_DELIVERY_MS = 120_000;

/** The wait before attempt `n` (0-based), after attempt n-1. */
export function retryDelayMs(attempt: number, baseMs: number): number {
  return (RETRY_SCHEDULE[attempt] ?? 0) * baseMs;
}

export interface DeliveryOptions {
  send: WebhookSender;
  retryBaseMs?: number;
  attemptTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** How long the caller may still run (a Lambda's remaining time); no attempt is started that could overrun it. */
  remainingMs?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Delivers one pending delivery; returns it as finally recorded (undefined if it is gone). */
export async function deliver(
  ports: DeliveryPorts,
  webhookId: string,
  deliveryId: string,
  options: DeliveryOptions,
): Promise<DeliveryRecord | undefined> {
  const baseMs = options.retryBaseMs ?? DEFAULT_RETRY_BASE_MS;
  const timeoutMs = options.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS;
  const sleep = options.sleep ?? defaultSleep;
  const delivery = await ports.webhooks.getDelivery(webhookId, deliveryId);
  if (!delivery || delivery.status !== DeliveryStatus.pending) return delivery;
  const hook = await ports.webhooks.get(webhookId);
  const attempts = [...delivery.attempts];
  let recordedAttempts = attempts.length;
  /** Writes the log; undefined when another deliverer of this item recorded meanwhile (it carries on). */
  const record = async (status: DeliveryRecord['status'], nextAttemptAt: string | null) => {
    const updatedAt = ports.clock.now().toISOString();
    try {
      await ports.webhooks.updateDelivery(webhookId, deliveryId, {
        status,
        attempts,
        nextAttemptAt,
        updatedAt,
        recordedAttempts,
      });
    } catch (error) {
      if (error instanceof ConditionFailedError) return undefined;
      throw error;
    }
    recordedAttempts = attempts.length;
    return { ...delivery, status, attempts: [...attempts], nextAttemptAt, updatedAt };
  };
  /** The final write; the delivery as stored when another deliverer won. */
  const settle = async (status: DeliveryRecord['status']) =>
    (await record(status, null)) ?? ports.webhooks.getDelivery(webhookId, deliveryId);
  if (!hook) {
    attempts.push({ at: ports.clock.now().toISOString(), error: 'webhook deleted', durationMs: 0 });
    return settle(DeliveryStatus.failed);
  }

  let current: DeliveryRecord = delivery;
  let dueAt = Date.parse(delivery.nextAttemptAt ?? delivery.createdAt);
  for (let n = attempts.length; n < MAX_ATTEMPTS; n++) {
    const wait = Math.max(0, dueAt - ports.clock.now().getTime());
    // Later attempts, and any this invocation has no time left for, stay pending for the sweep.
    if (wait > 0 && n >= INLINE_ATTEMPTS) return current;
    if (options.remainingMs && options.remainingMs() < wait + timeoutMs + 1_000) return current;
    await sleep(wait);
    const started = ports.clock.now();
    const attempt: DeliveryAttempt = { at: started.toISOString(), durationMs: 0 };
    try {
      const timestamp = Math.floor(started.getTime() / 1000);
      const answer = await options.send({
        url: hook.url,
        body: delivery.payload,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'cloudprint-webhooks/1',
          [SIGNATURE_HEADER]: signWebhookPayload(hook.secret, delivery.payload, timestamp),
          'cloudprint-event': delivery.type,
          'cloudprint-delivery': delivery.deliveryId,
        },
        timeoutMs,
      });
      attempt.status = answer.status;
    } catch (error) {
      attempt.error = error instanceof Error ? error.message : String(error);
    }
    attempt.durationMs = ports.clock.now().getTime() - started.getTime();
    attempts.push(attempt);
    if (attempt.status !== undefined && attempt.status >= 200 && attempt.status < 300) {
      return settle(DeliveryStatus.delivered);
    }
    if (n + 1 >= MAX_ATTEMPTS) return settle(DeliveryStatus.failed);
    dueAt = ports.clock.now().getTime() + retryDelayMs(n + 1, baseMs);
    const recorded = await record(DeliveryStatus.pending, new Date(dueAt).toISOString());
    if (!recorded) return ports.webhooks.getDelivery(webhookId, deliveryId);
    current = recorded;
  }
  return settle(DeliveryStatus.failed);
}

/**
 * The sweep (every minute: an EventBridge schedule on AWS, a timer locally): delivers the pending
 * deliveries now due that no invocation holds: past their inline attempts, or untouched for
 * `staleAfterMs` (their invocation died). Returns how many it took.
 */
export async function sweepDueDeliveries(
  ports: DeliveryPorts,
  options: DeliveryOptions & { staleAfterMs?: number; limit?: number },
): Promise<number> {
  const now = ports.clock.now();
  const staleBefore = now.getTime() - (options.staleAfterMs ?? STALE_DELIVERY_MS);
  const due = await ports.webhooks.listDue(now.toISOString(), options.limit ?? 100);
  const mine = due.filter(
    (d) => d.attempts.length >= INLINE_ATTEMPTS || Date.parse(d.updatedAt) < staleBefore,
  );
  await Promise.all(mine.map((d) => deliver(ports, d.webhookId, d.deliveryId, options)));
  return mine.length;
}
