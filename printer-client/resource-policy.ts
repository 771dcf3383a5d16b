/**
 * The resource policy (patent figure 8, T640–T674, variation 5), in one place: can this job be
 * printed with what the printer has? If not, the IPP reason for which the printer stops accepting.
 */
import type { PrinterData, UsageRecord } from './printer-store.ts';

export interface JobNeed {
  pages: number;
  copies: number;
  /** Bytes of print data the job holds in memory. */
  size: number;
}

export interface ResourceSettings {
  /** Toner (percent) the engine uses per printed page. */
  tonerPerPage: number;
  /** Toner (percent) a job is assumed to need before any job was printed. */
  tonerEstimate: number;
}

/** Toner a job is expected to need: the average over past jobs (T646), or the configured estimate. */
export function estimateToner(usage: UsageRecord[], settings: ResourceSettings): number {
  if (usage.length === 0) return settings.tonerEstimate;
  return usage.reduce((sum, record) => sum + record.toner, 0) / usage.length;
}

/** What printing `need` uses up: toner per page, one sheet per page (simplex). */
export function consumption(need: JobNeed, settings: ResourceSettings): { toner: number; sheets: number } {
  const sheets = need.pages * need.copies;
  return { toner: sheets * settings.tonerPerPage, sheets };
}

/**
 * The reason the printer cannot take `need` now, or null when it can.
 * `heldBytes` is memory already taken by other jobs waiting in the spool.
 */
export function insufficiency(
  data: Pick<PrinterData, 'device' | 'supplies' | 'usage'>,
  need: JobNeed | null,
  settings: ResourceSettings,
  heldBytes = 0,
): string | null {
  const error = errorReason(data.device);
  if (error) return error;
  if (!need) return null;
  const { toner, paper, memoryMb } = data.supplies;
  if (estimateToner(data.usage, settings) > toner) return toner <= 0 ? 'toner-empty' : 'toner-low';
  if (paper < need.pages * need.copies) return 'media-empty';
  if (memoryMb * 1024 * 1024 - heldBytes < need.size) return 'spool-area-full';
  return null;
}

/** The printer is in an error state when stopped with reasons; the first reason names it. */
export function errorReason(device: PrinterData['device']): string | null {
  if (device.state !== 'stopped') return null;
  return device.reasons.find((reason) => reason !== 'none') ?? 'other';
}
