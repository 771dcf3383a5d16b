/**
 * Zod schemas for every request body, query and path parameter. Types come from z.infer.
 * functions/http.ts turns a failed parse into 400 naming the field.
 */
import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from './webhook-record.ts';

const KEYWORD = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** IPP keyword: `toner-low`, `media-empty`, `paused`, ... */
export const keywordSchema = z.string().regex(KEYWORD, 'must be an IPP keyword (lower case, digits, dashes)');

/**
 * `P1`, `office.printer-2`: 2–64 of [A-Za-z0-9._-]. The contract says 3–64 but its own examples use
 * `P1`; the shorter form is kept working (docs/api.md).
 */
export const printerIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{2,64}$/, 'must be 2-64 characters of A-Z a-z 0-9 . _ -');

const opaqueIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'is not a valid id');

/** Path `{printerId}`. Example: `{"printerId": "P1"}` */
export const printerParamsSchema = z.object({ printerId: printerIdSchema });

/** Path `{printerId}/jobs/{jobId}`. Example: `{"printerId": "P1", "jobId": "j0mf3k2a1b4c5d6e7f8g9"}` */
export const jobParamsSchema = z.object({ printerId: printerIdSchema, jobId: opaqueIdSchema });

/** Path `{printerId}/share-keys/{keyId}`. Example: `{"printerId": "P1", "keyId": "sk_3fA9kQ2mZ7xW1bYc"}` */
export const shareKeyParamsSchema = z.object({ printerId: printerIdSchema, keyId: opaqueIdSchema });

/** POST /v1/printers/{id}/share-keys (owner), body optional. Example: `{"label": "Front desk tablet"}` */
export const shareKeyBodySchema = z.object({ label: z.string().trim().min(1).max(100).optional() });
export type ShareKeyBody = z.infer<typeof shareKeyBodySchema>;

/** Path `{registrationId}`. Example: `{"registrationId": "rAbC..."}` */
export const registrationParamsSchema = z.object({ registrationId: opaqueIdSchema });

/**
 * POST /v1/registrations.
 * Example: `{"printerId": "P1", "name": "Office", "capabilities": {"color": true, "media": ["iso_a4_210x297mm"]}}`
 */
export const registrationBodySchema = z.object({
  printerId: printerIdSchema,
  name: z.string().trim().min(1).max(100).optional(),
  capabilities: z.record(z.string(), z.unknown()).optional(),
});
export type RegistrationBody = z.infer<typeof registrationBodySchema>;

/** POST /v1/claims. Example: `{"registrationId": "rAbC...", "pin": "ABCD-EFGH"}` or `{"pin": "abcdefgh"}` */
export const claimBodySchema = z.object({
  registrationId: opaqueIdSchema.optional(),
  pin: z.string().min(1).max(32),
});
export type ClaimBody = z.infer<typeof claimBodySchema>;

/** PUT /v1/printers/{id}/accepting-jobs. Example: `{"acceptingJobs": false, "reason": "toner-empty"}` */
export const acceptingBodySchema = z.object({
  acceptingJobs: z.boolean(),
  reason: keywordSchema.nullable().optional(),
});
export type AcceptingBody = z.infer<typeof acceptingBodySchema>;

/**
 * PUT /v1/printers/{id}/status.
 * Example: `{"state": "idle", "reasons": ["toner-low"], "supplies": {"toner": 12, "paper": 250}}`
 */
export const statusBodySchema = z.object({
  state: z.enum(['idle', 'processing', 'stopped']),
  reasons: z.array(keywordSchema).max(32).default([]),
  supplies: z.record(z.string().max(64), z.number().finite()).optional(),
});
export type StatusBody = z.infer<typeof statusBodySchema>;

/** PATCH /v1/printers/{id} (owner). Example: `{"offlineGraceHours": 24, "name": "Office"}` */
export const printerSettingsBodySchema = z
  .object({
    offlineGraceHours: z.number().positive().max(8760).nullable().optional(),
    name: z.string().trim().min(1).max(100).optional(),
  })
  .refine((body) => body.offlineGraceHours !== undefined || body.name !== undefined, {
    message: 'give offlineGraceHours or name',
  });
export type PrinterSettingsBody = z.infer<typeof printerSettingsBodySchema>;

/**
 * Print options, from the query of POST /v1/printers/{id}/jobs or the `options` of an upload job.
 * Example query: `copies=2&media=na_letter_8.5x11in&fit=fill&color=monochrome&title=Holiday`
 */
export const printOptionsSchema = z.object({
  copies: z.coerce.number().int().min(1).max(99).default(1),
  media: z.enum(['iso_a4_210x297mm', 'na_letter_8.5x11in']).default('iso_a4_210x297mm'),
  fit: z.enum(['fit', 'fill']).default('fit'),
  color: z.enum(['color', 'monochrome']).default('color'),
  title: z.string().trim().min(1).max(200).optional(),
});
export type PrintOptionsInput = z.infer<typeof printOptionsSchema>;

/** POST /v1/printers/{id}/jobs with JSON. Example: `{"uploadId": "uAbC...", "options": {"copies": 2}}` */
export const uploadJobBodySchema = z.object({
  uploadId: opaqueIdSchema,
  options: printOptionsSchema.default({
    copies: 1,
    media: 'iso_a4_210x297mm',
    fit: 'fit',
    color: 'color',
  }),
});
export type UploadJobBody = z.infer<typeof uploadJobBodySchema>;

/** POST /v1/printers/{id}/uploads. Example: `{"contentType": "image/jpeg", "size": 31457280}` */
export const uploadBodySchema = z.object({
  contentType: z.string().min(3).max(100),
  size: z.number().int().positive(),
});
export type UploadBody = z.infer<typeof uploadBodySchema>;

/** GET /v1/printers/{id}/jobs. Example: `which=fetchable` */
export const jobsQuerySchema = z.object({ which: z.enum(['fetchable', 'all']).optional() });

/**
 * PUT /v1/printers/{id}/jobs/{jobId}/state.
 * Example: `{"state": "completed", "impressions": 2}` or `{"state": "processing-stopped", "reasons": ["media-empty"]}`
 */
export const jobStateBodySchema = z.object({
  state: z.enum(['processing', 'processing-stopped', 'completed', 'aborted']),
  reasons: z.array(keywordSchema).max(32).optional(),
  impressions: z.number().int().min(0).optional(),
});
export type JobStateBody = z.infer<typeof jobStateBodySchema>;

/** Header `Idempotency-Key`. Example: `3f0c9b1e-1a7d-4c36-9b8e-2f5a3c1d9e44` */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 visible ASCII characters');

/** Path `{webhookId}`. Example: `{"webhookId": "wh_3fA9kQ2mZ7xW1bYc"}` */
export const webhookParamsSchema = z.object({ webhookId: opaqueIdSchema });

/**
 * POST /v1/webhooks (owner). `events` defaults to all of them.
 * Example: `{"url": "https://example.com/hooks/cloudprint", "events": ["job.completed"], "description": "shop"}`
 */
export const webhookBodySchema = z.object({
  url: z.url().max(2048),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)).min(1).optional(),
  description: z.string().trim().min(1).max(100).optional(),
});
export type WebhookBody = z.infer<typeof webhookBodySchema>;
