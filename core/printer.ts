/** The printer record (the patent's printer table) and the view of it callers may see. */
import { decideAccepting } from './accepting.ts';
import { type DeviceFunction, functionsOf } from './device-functions.ts';

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
  /**
   * Every push connection recorded by $connect and not yet closed ($disconnect), whichever is `connectionId`:
   * a re-registration closes them all (a printer may hold an older socket beside its current one).
   */
  sockets?: string[] | null;
  mode?: ConnectionMode | null;
  lastSeenAt?: string | null;
  lastDisconnect?: DisconnectKind | null;
  offlineGraceHours?: number | null;
  /** What the device can do, from its last status (else `capabilities.functions`, else print only). */
  functions?: DeviceFunction[] | null;
  tokenHash: string;
  createdAt: string;
  updatedAt: string;
}

/** Record fields no caller ever sees. */
type HiddenPrinterField = 'tokenHash' | 'connectionId' | 'connectedAt' | 'sockets' | 'functions';

/** Record fields a printer may lack (written later); the view always carries them, `null` when unset. */
type UnsetPrinterField = 'mode' | 'lastSeenAt' | 'lastDisconnect' | 'offlineGraceHours';

/**
 * What a terminal or the printer sees: the record without the token hash or the connection, every field
 * present (`null` when unset), plus the computed `online`. Derived from PrinterRecord so the two cannot drift.
 */
export type PrinterView = Omit<PrinterRecord, HiddenPrinterField | UnsetPrinterField> & {
  [K in UnsetPrinterField]-?: Exclude<PrinterRecord[K], undefined>;
} & { online: boolean; acceptsNow: boolean; refusalReason: string | null; functions: DeviceFunction[] };

/**
 * What every (re-)registration writes (PrinterStore.register): identity and token, and not accepting
 * until the printer's first acceptance instruction (patent T122).
 */
export function registeredFields(input: {
  name: string;
  capabilities: Record<string, unknown>;
  tokenHash: string;
  at: string;
}): Pick<
  PrinterRecord,
  | 'name'
  | 'capabilities'
  | 'tokenHash'
  | 'acceptingJobs'
  | 'acceptingReason'
  | 'acceptingSetBy'
  | 'acceptingSetAt'
  | 'updatedAt'
> {
  return {
    name: input.name,
    capabilities: input.capabilities,
    tokenHash: input.tokenHash,
    acceptingJobs: false,
    acceptingReason: 'paused',
    acceptingSetBy: AcceptingSetBy.cloud,
    acceptingSetAt: input.at,
    updatedAt: input.at,
  };
}

/** What a registration writes only when the printer is new (a re-registration keeps the stored values). */
export function newPrinterFields(
  at: string,
): Pick<PrinterRecord, 'createdAt' | 'state' | 'reasons' | 'supplies'> {
  return { createdAt: at, state: PrinterState.idle, reasons: [], supplies: {} };
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
  const decision = decideAccepting(printer, now);
  return {
    printerId: printer.printerId,
    name: printer.name,
    capabilities: printer.capabilities ?? {},
    functions: functionsOf(printer),
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
    // what a print request would be told now (core/accepting.ts, the owner's offline grace included):
    // the app asks this before it uploads anything
    acceptsNow: decision.accepting,
    refusalReason: decision.accepting ? null : decision.reason,
  };
}
