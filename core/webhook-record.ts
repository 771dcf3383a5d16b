/** Webhook subscriptions, their events and the delivery log (stored in the webhooks table, core/tables.ts). */

/** What a webhook may receive. */
export const WEBHOOK_EVENT_TYPES = [
  'job.completed',
  'job.aborted',
  'job.canceled',
  'printer.stopped-accepting',
  'printer.supply-low',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface WebhookRecord {
  webhookId: string;
  url: string;
  /** The HMAC key. Stored (the cloud must sign with it), shown to the owner only when created. */
  secret: string;
  events: WebhookEventType[];
  description?: string;
  createdAt: string;
}

/** What the owner sees of a webhook: never the secret. */
export type WebhookView = Omit<WebhookRecord, 'secret'>;

export function webhookView(hook: WebhookRecord): WebhookView {
  const { secret: _secret, ...view } = hook;
  return view;
}

/** The body every delivery of an event POSTs (the signed bytes are this, as JSON). */
export interface WebhookEvent {
  id: string;
  type: WebhookEventType;
  createdAt: string;
  data: Record<string, unknown>;
}

export interface DeliveryAttempt {
  at: string;
  /** The receiver's HTTP status, when it answered. */
  status?: number;
  /** Why no answer (timeout, refused connection), when it did not. */
  error?: string;
  durationMs: number;
}

export const DeliveryStatus = { pending: 'pending', delivered: 'delivered', failed: 'failed' } as const;
export type DeliveryStatus = (typeof DeliveryStatus)[keyof typeof DeliveryStatus];

/** One event on its way to one webhook: the outbox item and its log entry at once. */
export interface DeliveryRecord {
  deliveryId: string;
  webhookId: string;
  eventId: string;
  type: WebhookEventType;
  /** The exact JSON body sent (and signed) on every attempt. */
  payload: string;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  createdAt: string;
  updatedAt: string;
  /** When the next attempt is due while pending; null once delivered or failed. */
  nextAttemptAt: string | null;
  expiresAtEpoch: number;
}

/** The delivery log as the owner reads it. */
export function deliveryView(delivery: DeliveryRecord) {
  return {
    deliveryId: delivery.deliveryId,
    webhookId: delivery.webhookId,
    eventId: delivery.eventId,
    type: delivery.type,
    status: delivery.status,
    attempts: delivery.attempts,
    createdAt: delivery.createdAt,
    updatedAt: delivery.updatedAt,
    nextAttemptAt: delivery.nextAttemptAt,
  };
}
