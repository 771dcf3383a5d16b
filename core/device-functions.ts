/**
 * What a device can do (the patent's variation 2: a multi-function device scans and faxes too). The
 * printer says so at registration (`capabilities.functions`); a device that says nothing only prints.
 */
import { HttpError } from './errors.ts';
import type { PrinterRecord } from './printer.ts';

export const DEVICE_FUNCTIONS = ['print', 'scan', 'fax'] as const;
export type DeviceFunction = (typeof DEVICE_FUNCTIONS)[number];

/** The job kinds: one per function, all through the same job machinery. */
export type JobKind = DeviceFunction;

export function functionsOf(printer: Pick<PrinterRecord, 'capabilities' | 'functions'>): DeviceFunction[] {
  const declared = printer.functions ?? printer.capabilities?.functions;
  if (!Array.isArray(declared)) return ['print'];
  return DEVICE_FUNCTIONS.filter((name) => declared.includes(name));
}

/** 422: the device exists but cannot do this (a permanent answer, unlike 503 not-accepting-jobs). */
export class FunctionNotSupportedError extends HttpError {
  constructor(printerId: string, fn: DeviceFunction, functions: DeviceFunction[]) {
    super(422, 'function-not-supported', `Printer ${printerId} has no ${fn} function`, {
      printerId,
      function: fn,
      functions,
    });
  }
}

export function requireFunction(printer: PrinterRecord, fn: DeviceFunction): void {
  const functions = functionsOf(printer);
  if (!functions.includes(fn)) throw new FunctionNotSupportedError(printer.printerId, fn, functions);
}
