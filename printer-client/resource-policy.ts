/**
 * The resource policy (patent figure 8, T640–T674, variation 5), in one place: can this job be
 * printed with what the printer has? If not, the IPP reason for which the printer stops accepting.
 */
import type { DeviceStatus } from './device-port.ts';
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
 * `suspendedBytes` is memory already taken by other jobs waiting in the spool.
 */
export function insufficiency(
  data: Pick<PrinterData, 'device' | 'supplies' | 'usage'>,
  need: JobNeed | null,
  settings: ResourceSettings,
  suspendedBytes = 0,
): string | null {
  const error = errorReason(data.device);
  if (error) return error;
  if (!need) return null;
  const { toner, paper, memoryMb } = data.supplies;
  if (estimateToner(data.usage, settings) > toner) return toner <= 0 ? 'toner-empty' : 'toner-low';
  if (paper < need.pages * need.copies) return 'media-empty';
  if (memoryMb * 1024 * 1024 - suspendedBytes < need.size) return 'spool-area-full';
  return null;
}

export type DeviceState = PrinterData['device'];
/** What the policy checks a job against. */
export type Condition = Pick<PrinterData, 'device' | 'supplies' | 'usage'>;

/**
 * The one place the printer's condition is put together: the emulated state (POST /api/status,
 * /api/supplies, the emulated consumption) merged with what the engine last reported. A toner level
 * the printer reports is the real one and wins over the emulated count.
 */
export function condition(data: Condition, engine: DeviceStatus | null): Condition {
  const toner = engine?.supplies?.toner;
  return {
    device: deviceState(data.device, engine),
    supplies: toner === undefined ? data.supplies : { ...data.supplies, toner },
    usage: data.usage,
  };
}

/**
 * The printer's state: the emulated error (POST /api/status) merged with what the engine last
 * reported. The engine stops the printer only
 * when it says stopped or names an `-error` reason; `-report` / `-warning` reasons are reported but
 * never stop it, and `none` is no reason.
 */
export function deviceState(emulated: DeviceState, engine: DeviceStatus | null): DeviceState {
  const reasons = new Set(emulated.state === 'stopped' ? emulated.reasons.filter(isReason) : []);
  for (const reason of engine?.reasons ?? []) if (isReason(reason)) reasons.add(reason);
  const stopped =
    emulated.state === 'stopped' ||
    engine?.state === 'stopped' ||
    (engine?.reasons ?? []).some((reason) => reason.endsWith('-error'));
  return { state: stopped ? 'stopped' : 'idle', reasons: [...reasons] };
}

/**
 * The printer is in an error state when stopped; its first stopping reason names it (one that is
 * not only a `-report` or `-warning`).
 */
export function errorReason(device: DeviceState): string | null {
  if (device.state !== 'stopped') return null;
  const reasons = device.reasons.filter(isReason);
  return reasons.find((reason) => !/-(report|warning)$/.test(reason)) ?? reasons[0] ?? 'other';
}

function isReason(reason: string): boolean {
  return reason !== '' && reason !== 'none';
}
