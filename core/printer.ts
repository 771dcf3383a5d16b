/** The printer record (the patent's printer table) and the view of it callers may see. */

export const PrinterState = { idle: 'idle', processing: 'processing', stopped: 'stopped' } as const;
export type PrinterState = (typeof PrinterState)[keyof typeof PrinterState];

export const AcceptingSetBy = { printer: 'printer', owner: 'owner', cloud: 'cloud' } as const;
export type AcceptingSetBy = (typeof AcceptingSetBy)[keyof typeof AcceptingSetBy];

export const ConnectionMode = { push: 'push', poll: 'poll' } as const;
export type ConnectionMode = (typeof ConnectionMode)[keyof typeof ConnectionMode];

/** Why the last push connection ended: deliberately (service off) or not (network, power, crash). */
export const DisconnectKind = { goodbye: 'goodbye', lost: 'lost' } as const;
export type DisconnectKind = (typeof DisconnectKind)[keyof typeof DisconnectKind];

export interface PrinterRecord {
  printerId: string;
  name: string;
  capabilities: Record<string, unknown>;
  acceptingJobs: boolean;
  acceptingReason: string | null;
  acceptingSetBy: AcceptingSetBy;
  acceptingSetAt: string;
  state: PrinterState;
  reasons: string[];
  supplies: Record<string, number>;
  connectionId?: string | null;
  connectedAt?: string | null;
  mode?: ConnectionMode | null;
  lastSeenAt?: string | null;
  lastDisconnect?: DisconnectKind | null;
  offlineGraceHours?: number | null;
  tokenHash: string;
  createdAt: string;
  updatedAt: string;
}

/** What a terminal or the printer sees: never the token hash or the connection id. */
export interface PrinterView {
  printerId: string;
  name: string;
  capabilities: Record<string, unknown>;
  acceptingJobs: boolean;
  acceptingReason: string | null;
  acceptingSetBy: AcceptingSetBy;
  acceptingSetAt: string;
  state: PrinterState;
  reasons: string[];
  supplies: Record<string, number>;
  online: boolean;
  mode: ConnectionMode | null;
  lastSeenAt: string | null;
  lastDisconnect: DisconnectKind | null;
  offlineGraceHours: number | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * Online = a push connection is open, or the printer polled within three poll intervals
 * (one missed poll is not yet "offline").
 */
export function isOnline(printer: PrinterRecord, now: Date, pollIntervalSeconds: number): boolean {
  if (printer.connectionId) return true;
  if (printer.mode !== ConnectionMode.poll || !printer.lastSeenAt) return false;
  return now.getTime() - Date.parse(printer.lastSeenAt) <= 3 * pollIntervalSeconds * 1000;
}

export function printerView(printer: PrinterRecord, now: Date, pollIntervalSeconds: number): PrinterView {
  return {
    printerId: printer.printerId,
    name: printer.name,
    capabilities: printer.capabilities ?? {},
    acceptingJobs: printer.acceptingJobs,
    acceptingReason: printer.acceptingReason ?? null,
    acceptingSetBy: printer.acceptingSetBy,
    acceptingSetAt: printer.acceptingSetAt,
    state: printer.state,
    reasons: printer.reasons ?? [],
    supplies: printer.supplies ?? {},
    online: isOnline(printer, now, pollIntervalSeconds),
    mode: printer.mode ?? null,
    lastSeenAt: printer.lastSeenAt ?? null,
    lastDisconnect: printer.lastDisconnect ?? null,
    offlineGraceHours: printer.offlineGraceHours ?? null,
    createdAt: printer.createdAt,
    updatedAt: printer.updatedAt,
  };
}
