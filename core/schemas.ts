/**
 * Zod schemas for every request body, query and path parameter. Types come from z.infer.
 * functions/http.ts turns a failed parse into 400 naming the field.
 */
import { z } from 'zod';
import { DEVICE_FUNCTIONS } from './device-functions.ts';
import {
  COLOR_MODES,
  DEFAULT_PRINT_OPTIONS,
  FITS,
  MAX_COPIES,
  MAX_TITLE_LENGTH,
  MEDIA,
} from './print-options.ts';
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

/**
 * Bounds of free-form JSON the cloud stores (printer capabilities): DynamoDB refuses numbers beyond
 * 38 digits or below 1e-130, nesting beyond 32 levels and items over 400 KB, and such a refusal would be
 * a 500. Numbers stay within ±2^53 (exact in JavaScript) and are 0 or at least 1e-9 in size.
 */
export const JSON_LIMITS = { depth: 8, stringLength: 1024, keys: 256, arrayLength: 256 } as const;
const MIN_MAGNITUDE = 1e-9;

function numberProblem(n: number): string | undefined {
  if (!Number.isFinite(n) || Math.abs(n) > Number.MAX_SAFE_INTEGER) return 'must be a number within ±2^53';
  if (n !== 0 && Math.abs(n) < MIN_MAGNITUDE) return `must be 0 or at least ${MIN_MAGNITUDE} in size`;
  return undefined;
}

/** The first part of `value` beyond JSON_LIMITS, with its path; never recurses deeper than the limit. */
function jsonProblem(value: unknown, depth = 0): { path: PropertyKey[]; message: string } | undefined {
  if (typeof value === 'number') {
    const message = numberProblem(value);
    return message ? { path: [], message } : undefined;
  }
  if (typeof value === 'string') {
    return value.length > JSON_LIMITS.stringLength
      ? { path: [], message: `must be at most ${JSON_LIMITS.stringLength} characters` }
      : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= JSON_LIMITS.depth)
    return { path: [], message: `nests deeper than ${JSON_LIMITS.depth} levels` };
  const entries: Array<[PropertyKey, unknown]> = Array.isArray(value)
    ? value.map((item, i) => [i, item])
    : Object.entries(value);
  const max = Array.isArray(value) ? JSON_LIMITS.arrayLength : JSON_LIMITS.keys;
  if (entries.length > max) return { path: [], message: `has more than ${max} entries` };
  for (const [key, item] of entries) {
    if (typeof key === 'string' && key.length > 64)
      return { path: [key], message: 'names a key longer than 64 characters' };
    const inner = jsonProblem(item, depth + 1);
    if (inner) return { path: [key, ...inner.path], message: inner.message };
  }
  return undefined;
}

/** A JSON object within JSON_LIMITS; a failure names the offending field (`body.capabilities.a.b`). */
export const boundedJsonObjectSchema = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const problem = jsonProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
});

/** A number DynamoDB stores as given (see JSON_LIMITS). */
export const storableNumberSchema = z.number().superRefine((n, ctx) => {
  const message = numberProblem(n);
  if (message) ctx.addIssue({ code: 'custom', message });
});

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
  capabilities: boundedJsonObjectSchema.optional(),
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
  supplies: z
    .record(z.string().max(64), storableNumberSchema)
    .refine((supplies) => Object.keys(supplies).length <= 32, 'must have at most 32 entries')
    .optional(),
  /** A multi-function device's functions (core/device-functions.ts). */
  functions: z.array(z.enum(DEVICE_FUNCTIONS)).min(1).max(DEVICE_FUNCTIONS.length).optional(),
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
 * Print options (core/print-options.ts), from the query of POST /v1/printers/{id}/jobs or the `options` of an
 * upload job. Example query: `copies=2&media=na_letter_8.5x11in&fit=fill&color=monochrome&title=Holiday`
 */
export const printOptionsSchema = z.object({
  copies: z.coerce.number().int().min(1).max(MAX_COPIES).default(DEFAULT_PRINT_OPTIONS.copies),
  media: z.enum(MEDIA).default(DEFAULT_PRINT_OPTIONS.media),
  fit: z.enum(FITS).default(DEFAULT_PRINT_OPTIONS.fit),
  color: z.enum(COLOR_MODES).default(DEFAULT_PRINT_OPTIONS.color),
  title: z.string().trim().min(1).max(MAX_TITLE_LENGTH).optional(),
});

/** POST /v1/printers/{id}/jobs with JSON. Example: `{"uploadId": "uAbC...", "options": {"copies": 2}}` */
export const uploadJobBodySchema = z.object({
  uploadId: opaqueIdSchema,
  options: printOptionsSchema.default({ ...DEFAULT_PRINT_OPTIONS }),
});

/** POST /v1/printers/{id}/uploads. Example: `{"contentType": "image/jpeg", "size": 31457280}` */
export const uploadBodySchema = z.object({
  contentType: z.string().min(3).max(100),
  size: z.number().int().positive(),
  /** Used when the upload is converted after it arrives (above Settings.asyncConversionBytes). */
  options: printOptionsSchema.optional(),
});
export type UploadBody = z.infer<typeof uploadBodySchema>;

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

/**
 * POST /v1/printers/{id}/scans.
 * Example: `{"resolution": 300, "color": "color", "source": "flatbed", "format": "pdf", "title": "Receipt"}`
 */
export const scanBodySchema = z.object({
  resolution: z.number().int().min(75).max(1200).default(300),
  color: z.enum(COLOR_MODES).default('color'),
  source: z.enum(['flatbed', 'adf']).default('flatbed'),
  format: z.enum(['pdf', 'jpeg']).default('pdf'),
  title: z.string().trim().min(1).max(MAX_TITLE_LENGTH).optional(),
});
export type ScanBody = z.infer<typeof scanBodySchema>;

/** E.164: `+`, a country code not starting with 0, at most 15 digits in all. Example: `+81312345678` */
export const e164Schema = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +81312345678');

/** POST /v1/printers/{id}/faxes: the print options, and `to`. Example: `?to=%2B81312345678` */
export const faxQuerySchema = printOptionsSchema.extend({ to: e164Schema });
