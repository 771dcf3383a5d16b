/**
 * The accepting-jobs decision (patent claim 1): the cloud generates a job only while the printer said
 * it accepts jobs. Connecting or disconnecting never changes `acceptingJobs`: only the printer's
 * explicit command does. The one exception is the owner's opt-in offline grace.
 */
import type { PrinterRecord } from './printer.ts';

export type AcceptingDecision = { accepting: true } | { accepting: false; reason: string; message: string };

/** Reason given when a printer stopped accepting without naming one. */
export const DEFAULT_REFUSAL_REASON = 'paused';
export const OFFLINE_REASON = 'offline';

export function decideAccepting(printer: PrinterRecord, now: Date): AcceptingDecision {
  const name = printer.name || printer.printerId;
  if (!printer.acceptingJobs) {
    const reason = printer.acceptingReason || DEFAULT_REFUSAL_REASON;
    return {
      accepting: false,
      reason,
      message: `Printer "${name}" is not accepting print jobs (${reason}). Nothing was sent or stored; try again later.`,
    };
  }
  if (offlineGraceExpired(printer, now)) {
    return {
      accepting: false,
      reason: OFFLINE_REASON,
      message: `Printer "${name}" lost its connection more than ${printer.offlineGraceHours} h ago and has not been seen since, so the owner asked the cloud not to hold jobs for it. Nothing was sent or stored.`,
    };
  }
  return { accepting: true };
}

/**
 * The owner's offline grace: when set, a printer whose connection was lost (not closed with goodbye),
 * that holds no push connection and has not been seen (connect, disconnect, poll, command) within the grace, refuses.
 * A printer that polls keeps `lastSeenAt` fresh, so polling counts as being there.
 */
export function offlineGraceExpired(printer: PrinterRecord, now: Date): boolean {
  const grace = printer.offlineGraceHours;
  if (grace === null || grace === undefined) return false;
  if (printer.connectionId) return false;
  if (printer.lastDisconnect !== 'lost') return false;
  if (!printer.lastSeenAt) return false;
  return now.getTime() - Date.parse(printer.lastSeenAt) > grace * 3_600_000;
}
