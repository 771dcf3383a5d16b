/** Printer commands (the patent's acceptance / acceptance-stop instruction, status) and terminal views. */
import { type Principal, requireOwner, requirePrinter, requireTerminal } from './auth.ts';
import { ConditionFailedError, NotFoundError } from './errors.ts';
import { newShareKeyId } from './ids.ts';
import { ippUriOf } from './ipp/capability.ts';
import type { CredentialRecord, Ports } from './ports.ts';
import { type PrinterRecord, type PrinterView, printerView } from './printer.ts';
import type { AcceptingBody, PrinterSettingsBody, ShareKeyBody, StatusBody } from './schemas.ts';
import { hashSecret, newSecret } from './secrets.ts';
import { emitEvent, lowSupplyReasons } from './webhooks.ts';

type PrinterPorts = Pick<Ports, 'printers' | 'credentials' | 'clock' | 'settings' | 'webhooks'> &
  Partial<Pick<Ports, 'ownerKey'>>;

/** A missing printer answers 404, the same as one the caller may not see. */
async function orNotFound(write: Promise<PrinterRecord>): Promise<PrinterRecord> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof ConditionFailedError) throw new NotFoundError('printer');
    throw error;
  }
}

function view(ports: PrinterPorts, record: PrinterRecord): PrinterView {
  return printerView(record, ports.clock.now(), ports.settings.pollIntervalSeconds);
}

export async function setAccepting(
  ports: PrinterPorts,
  principal: Principal,
  printerId: string,
  body: AcceptingBody,
): Promise<PrinterView> {
  requirePrinter(principal, printerId);
  const at = ports.clock.now().toISOString();
  // WEBHOOK EVENT: only a stop reads the record before, so a repeated stop is not reported again.
  const before = body.acceptingJobs ? undefined : await ports.printers.get(printerId);
  // A printer that accepts has no refusal reason; one that stops names why (default `paused`).
  const reason = body.acceptingJobs ? (body.reason ?? null) : (body.reason ?? 'paused');
  const record = await orNotFound(
    ports.printers.setAccepting(printerId, {
      acceptingJobs: body.acceptingJobs,
      reason,
      setBy: 'printer',
      at,
      seen: true,
    }),
  );
  if (before?.acceptingJobs)
    await emitEvent(ports, 'printer.stopped-accepting', { printer: view(ports, record) });
  return view(ports, record);
}

export async function setStatus(
  ports: PrinterPorts,
  principal: Principal,
  printerId: string,
  body: StatusBody,
): Promise<PrinterView> {
  requirePrinter(principal, printerId);
  const at = ports.clock.now().toISOString();
  // WEBHOOK EVENT: a low supply is reported once, when its reason appears (one read, only then).
  const low = lowSupplyReasons(body.reasons);
  const before = low.length ? await ports.printers.get(printerId) : undefined;
  const record = await orNotFound(
    ports.printers.setStatus(printerId, {
      state: body.state,
      reasons: body.reasons,
      supplies: body.supplies,
      functions: body.functions,
      at,
    }),
  );
  const newlyLow = low.filter((reason) => !(before?.reasons ?? []).includes(reason));
  if (newlyLow.length) {
    await emitEvent(ports, 'printer.supply-low', { printer: view(ports, record), low: newlyLow });
  }
  return view(ports, record);
}

export async function updateSettings(
  ports: PrinterPorts,
  principal: Principal,
  printerId: string,
  body: PrinterSettingsBody,
): Promise<PrinterView> {
  requireOwner(principal);
  const at = ports.clock.now().toISOString();
  const record = await orNotFound(
    ports.printers.setSettings(printerId, { offlineGraceHours: body.offlineGraceHours, name: body.name, at }),
  );
  return view(ports, record);
}

/** The owner sees every printer; a share key or access token only its own. */
export async function listPrinters(ports: PrinterPorts, principal: Principal): Promise<PrinterView[]> {
  if (principal.kind === 'owner') {
    const all = await ports.printers.list();
    return all.sort((a, b) => a.printerId.localeCompare(b.printerId)).map((p) => view(ports, p));
  }
  const own = await ports.printers.get(principal.printerId);
  return own ? [view(ports, own)] : [];
}

/**
 * One printer. A share key asking (with `ippBase`) also gets `ippUri`, its own key's IPP printer URI, so a
 * member can add the printer to a computer's print dialog without the owner's listing.
 */
export async function getPrinter(
  ports: PrinterPorts,
  principal: Principal,
  printerId: string,
  ippBase?: string,
): Promise<PrinterView & { ippUri?: string }> {
  if (principal.kind === 'access') requirePrinter(principal, printerId);
  else requireTerminal(principal, printerId);
  const record = await ports.printers.get(printerId);
  if (!record) throw new NotFoundError('printer');
  if (principal.kind !== 'share' || !ippBase || !ports.ownerKey) return view(ports, record);
  const own = await ports.credentials.findShareKey(printerId, principal.keyId);
  const ippUri = own?.kind === 'share' ? await ippUriOf(ports.ownerKey, ippBase, own) : undefined;
  return { ...view(ports, record), ...(ippUri ? { ippUri } : {}) };
}

/** What the owner sees of a share key: never the secret or its hash. */
export interface ShareKeyView {
  keyId: string;
  createdAt: string;
  label?: string;
  /** The key's IPP printer URI (core/ipp/capability.ts), when the caller gave the IPP base URL. */
  ippUri?: string;
}

async function shareKeyView(
  ports: PrinterPorts,
  credential: CredentialRecord,
  ippBase: string | undefined,
): Promise<ShareKeyView> {
  const ippUri = ippBase && ports.ownerKey ? await ippUriOf(ports.ownerKey, ippBase, credential) : undefined;
  return {
    keyId: credential.keyId ?? '',
    createdAt: credential.createdAt,
    ...(credential.label !== undefined ? { label: credential.label } : {}),
    ...(ippUri ? { ippUri } : {}),
  };
}

async function requireOwnedPrinter(
  ports: PrinterPorts,
  principal: Principal,
  printerId: string,
): Promise<void> {
  requireOwner(principal);
  if (!(await ports.printers.get(printerId))) throw new NotFoundError('printer');
}

/**
 * A share key lets one terminal print to one printer (and see and cancel its own jobs there). One PutItem:
 * the credential carries its public `keyId`, which puts it in the printer's share-keys index.
 */
export async function createShareKey(
  ports: PrinterPorts,
  principal: Principal,
  printerId: string,
  body: ShareKeyBody = {},
  ippBase?: string,
): Promise<ShareKeyView & { shareKey: string; printerId: string }> {
  await requireOwnedPrinter(ports, principal, printerId);
  const shareKey = newSecret();
  const credential: CredentialRecord = {
    secretHash: hashSecret(shareKey),
    kind: 'share' as const,
    printerId,
    keyId: newShareKeyId(),
    createdAt: ports.clock.now().toISOString(),
    ...(body.label !== undefined ? { label: body.label } : {}),
  };
  await ports.credentials.put(credential);
  return { shareKey, printerId, ...(await shareKeyView(ports, credential, ippBase)) };
}

/** The owner's list of a printer's share keys, by keyId. */
export async function listShareKeys(
  ports: PrinterPorts,
  principal: Principal,
  printerId: string,
  ippBase?: string,
): Promise<ShareKeyView[]> {
  await requireOwnedPrinter(ports, principal, printerId);
  const keys = await ports.credentials.listShareKeys(printerId);
  return Promise.all(
    keys.filter((k) => k.kind === 'share' && k.keyId).map((k) => shareKeyView(ports, k, ippBase)),
  );
}

/** Revokes a share key: its credential is deleted, so its secret answers 401 like any unknown one. */
export async function revokeShareKey(
  ports: PrinterPorts,
  principal: Principal,
  printerId: string,
  keyId: string,
): Promise<void> {
  await requireOwnedPrinter(ports, principal, printerId);
  const credential = await ports.credentials.findShareKey(printerId, keyId);
  if (credential?.kind !== 'share') throw new NotFoundError('share key');
  await ports.credentials.delete(credential.secretHash);
}
