/**
 * The engine port (PAPPL's device): open / print / status, registered per URI scheme, so the job
 * code never knows whether pages go to a folder or to a real printer.
 */

export interface PrintRequest {
  jobId: string;
  printerId: string;
  title: string;
  pages: number;
  copies: number;
  /** Path of the spooled PDF. */
  document: string;
}

export interface PrintResult {
  /** Impressions made (pages × copies). */
  impressions: number;
}

export interface DeviceStatus {
  state: 'idle' | 'processing' | 'stopped';
  reasons: string[];
  /** Levels the printer itself reports (toner: percent left, the lowest toner or ink), if any. */
  supplies?: { toner?: number };
}

export interface DevicePort {
  readonly uri: string;
  /** Checks the device is usable; throws a DeviceError saying why not. */
  open(): Promise<void>;
  print(request: PrintRequest): Promise<PrintResult>;
  status(): Promise<DeviceStatus>;
}

export class DeviceError extends Error {
  /** The IPP job-state-reason to report. */
  readonly reason: string;

  constructor(message: string, reason = 'document-unprintable-error') {
    super(message);
    this.name = 'DeviceError';
    this.reason = reason;
  }
}

export interface DeviceContext {
  /** Where the file engine writes. */
  outDir: string;
}

export type DeviceFactory = (uri: string, context: DeviceContext) => DevicePort;

const factories = new Map<string, DeviceFactory>();

export function registerDevice(scheme: string, factory: DeviceFactory): void {
  factories.set(scheme, factory);
}

/** `file` (no scheme) or `<scheme>://...`. */
export function createDevice(uri: string, context: DeviceContext): DevicePort {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase() ?? uri;
  const factory = factories.get(scheme);
  if (!factory) throw new DeviceError(`no engine for "${uri}" (known: ${[...factories.keys()].join(', ')})`);
  return factory(uri, context);
}
