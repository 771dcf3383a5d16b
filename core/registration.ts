/**
 * PIN registration (patent figure 2, T10–T62; like RFC 8628's device flow): the printer starts a
 * registration, the owner claims it with the PIN, the printer polls and receives its access token once.
 * The token is generated at hand-over so it is never stored plainly.
 */
import { ConditionFailedError, GoneError, HttpError, NotFoundError, TooManyRequestsError } from './errors.ts';
import { newRegistrationId } from './ids.ts';
import type { Ports } from './ports.ts';
import { RATE_LIMITS, secondsLeftInWindow, takeRate } from './rate-limit.ts';
import { type RegistrationRecord, RegistrationStatus } from './registration-record.ts';
import type { ClaimBody, RegistrationBody } from './schemas.ts';
import { hashesEqual, hashPin, hashSecret, newPin, newSecret, secretMatches } from './secrets.ts';

/** Wrong PINs that end one registration. */
export const MAX_PIN_ATTEMPTS = 5;
/**
 * PIN-only claims allowed across all sources per window (guards `pin-failures#<window>`): guessing by PIN
 * alone needs no registration id, so no per-registration limit applies. A claim naming its registration is
 * never counted here (its own MAX_PIN_ATTEMPTS bound it), so a flood of wrong PINs cannot block it.
 */
export const GLOBAL_PIN_FAILURES = 100;
export const GLOBAL_PIN_WINDOW_SECONDS = 600;
/** A poll earlier than this share of `interval` gets slow_down (timers jitter a little). */
const POLL_TOLERANCE = 0.8;

type RegistrationPorts = Pick<
  Ports,
  'registrations' | 'guards' | 'credentials' | 'printers' | 'notifier' | 'clock' | 'settings'
>;

export interface StartedRegistration {
  registrationId: string;
  pin: string;
  pollToken: string;
  expiresAt: string;
  interval: number;
}

function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

function pinGuardKey(pinHash: string): string {
  return `pin#${pinHash}`;
}

/** `source`: the caller's address (rate limit per source, core/rate-limit.ts). */
export async function startRegistration(
  ports: RegistrationPorts,
  body: RegistrationBody,
  source = 'unknown',
): Promise<StartedRegistration> {
  await takeRate(ports, RATE_LIMITS.registrations, source);
  const now = ports.clock.now();
  const expires = new Date(now.getTime() + ports.settings.registrationTtlSeconds * 1000);
  const registrationId = newRegistrationId();
  const pollToken = newSecret();
  // The PIN → registration pointer lets a claim by PIN alone find its registration without a scan.
  // Two live registrations must not share a PIN; on the (rare) collision draw another.
  let pin = newPin();
  for (let attempt = 0; ; attempt++) {
    const pointer = await ports.guards.putIfAbsent(
      pinGuardKey(hashPin(pin)),
      registrationId,
      epochSeconds(expires),
      epochSeconds(now),
    );
    if (pointer.created) break;
    if (attempt >= 4) throw new Error('could not draw a unique PIN');
    pin = newPin();
  }
  const record: RegistrationRecord = {
    registrationId,
    printerId: body.printerId,
    name: body.name ?? body.printerId,
    capabilities: body.capabilities ?? {},
    pinHash: hashPin(pin),
    pollTokenHash: hashSecret(pollToken),
    status: RegistrationStatus.pending,
    failedAttempts: 0,
    expiresAt: expires.toISOString(),
    createdAt: now.toISOString(),
    expiresAtEpoch: epochSeconds(expires),
  };
  await ports.registrations.create(record);
  return {
    registrationId,
    pin,
    pollToken,
    expiresAt: record.expiresAt,
    interval: ports.settings.pollIntervalSeconds,
  };
}

function expiredError(): GoneError {
  return new GoneError('expired', 'This registration has ended; start a new one', { status: 'expired' });
}

function isExpired(registration: RegistrationRecord, now: Date): boolean {
  return (
    registration.status === RegistrationStatus.expired || Date.parse(registration.expiresAt) <= now.getTime()
  );
}

export type PollAnswer =
  | { status: 'pending' }
  | { status: 'complete'; printerId: string; accessToken: string };

export async function pollRegistration(
  ports: RegistrationPorts,
  registrationId: string,
  pollToken: string | undefined,
): Promise<PollAnswer> {
  const now = ports.clock.now();
  const registration = await ports.registrations.get(registrationId);
  if (!registration || !pollToken || !secretMatches(pollToken, registration.pollTokenHash)) {
    throw new NotFoundError('registration');
  }
  // The token is handed over once; afterwards the registration is spent.
  if (registration.status === RegistrationStatus.complete || isExpired(registration, now))
    throw expiredError();
  const interval = ports.settings.pollIntervalSeconds;
  try {
    await ports.registrations.recordPoll(registrationId, now.getTime(), interval * 1000 * POLL_TOLERANCE);
  } catch (error) {
    if (error instanceof ConditionFailedError) {
      throw new TooManyRequestsError('slow_down', `Poll no faster than every ${interval} s`, { interval });
    }
    throw error;
  }
  if (registration.status === RegistrationStatus.pending) return { status: 'pending' };
  return handOver(ports, registration, now);
}

async function handOver(
  ports: RegistrationPorts,
  registration: RegistrationRecord,
  now: Date,
): Promise<PollAnswer> {
  try {
    await ports.registrations.setStatus(
      registration.registrationId,
      RegistrationStatus.claimed,
      RegistrationStatus.complete,
    );
  } catch (error) {
    // A concurrent poll handed the token over first.
    if (error instanceof ConditionFailedError) throw expiredError();
    throw error;
  }
  const accessToken = newSecret();
  const tokenHash = hashSecret(accessToken);
  const at = now.toISOString();
  // Re-registration replaces the old token. It is deleted BEFORE the new one is written: there are no
  // transactions, and a Lambda that dies part-way must leave the old token dead (the printer registers
  // again: the new token was never handed over), never valid beside a printer record naming another.
  const before = await ports.printers.get(registration.printerId);
  if (before?.tokenHash) await ports.credentials.delete(before.tokenHash);
  await ports.credentials.put({
    secretHash: tokenHash,
    kind: 'access',
    printerId: registration.printerId,
    createdAt: at,
  });
  const previous = await ports.printers.register({
    printerId: registration.printerId,
    name: registration.name,
    capabilities: registration.capabilities,
    tokenHash,
    at,
  });
  // A concurrent hand-over for the same printer wrote its token between our read and our write.
  if (previous?.tokenHash && previous.tokenHash !== before?.tokenHash && previous.tokenHash !== tokenHash)
    await ports.credentials.delete(previous.tokenHash);
  // Every push connection of the old token is closed, not only the recorded one: a printer may hold an older
  // socket beside it. One opened with the old token that the register write has not seen fails its $connect
  // (conditional on the token), and anything an old socket still sends is refused (core/connection.ts).
  const sockets = new Set([
    ...(previous?.sockets ?? []),
    ...(previous?.connectionId ? [previous.connectionId] : []),
  ]);
  await Promise.all([...sockets].map((id) => ports.notifier.revoke(registration.printerId, id)));
  return { status: 'complete', printerId: registration.printerId, accessToken };
}

function windowKey(now: Date): string {
  return `pin-failures#${Math.floor(epochSeconds(now) / GLOBAL_PIN_WINDOW_SECONDS)}`;
}

function wrongPin(attemptsLeft?: number): HttpError {
  const details = attemptsLeft === undefined ? {} : { attemptsLeft };
  return new HttpError(403, 'wrong-pin', 'That PIN does not match a waiting printer', details);
}

function tooManyAttempts(now: Date): TooManyRequestsError {
  return new TooManyRequestsError(
    'too-many-attempts',
    'Too many PIN-only claims; wait a few minutes, or open the claim link the printer shows',
    { retryAfter: secondsLeftInWindow(epochSeconds(now), GLOBAL_PIN_WINDOW_SECONDS) },
  );
}

/**
 * The owner types the PIN shown by the printer (T40–T50). Returns the printer id claimed.
 * Every attempt is counted BEFORE its PIN is compared (an atomic counter, then the comparison), so
 * a burst of concurrent guesses gets no more comparisons than the limits allow.
 */
export async function claimRegistration(
  ports: RegistrationPorts,
  body: ClaimBody,
  source = 'unknown',
): Promise<{ printerId: string }> {
  const now = ports.clock.now();
  await takeRate(ports, RATE_LIMITS.claims, source);
  const pinHash = hashPin(body.pin);
  let registrationId = body.registrationId;
  if (!registrationId) {
    // Every PIN-only attempt counts, per source and globally: guessing needs no registration id.
    await takeRate(ports, RATE_LIMITS.pinGuesses, source);
    const windowEnds =
      (Math.floor(epochSeconds(now) / GLOBAL_PIN_WINDOW_SECONDS) + 2) * GLOBAL_PIN_WINDOW_SECONDS;
    if ((await ports.guards.increment(windowKey(now), windowEnds)) > GLOBAL_PIN_FAILURES)
      throw tooManyAttempts(now);
    registrationId = await ports.guards.get(pinGuardKey(pinHash), epochSeconds(now));
    if (!registrationId) throw wrongPin();
  }
  const registration = await ports.registrations.get(registrationId);
  if (!registration) throw new NotFoundError('registration');
  if (isExpired(registration, now)) throw expiredError();
  if (registration.status !== RegistrationStatus.pending) {
    throw new GoneError('already-claimed', 'This registration was already claimed', {
      status: registration.status,
    });
  }
  let attempts: number;
  try {
    attempts = await ports.registrations.takePinAttempt(registrationId, MAX_PIN_ATTEMPTS);
  } catch (error) {
    // Claimed, or out of attempts, since it was read: concurrent claims.
    if (error instanceof ConditionFailedError) throw expiredError();
    throw error;
  }
  if (!hashesEqual(pinHash, registration.pinHash)) {
    if (attempts >= MAX_PIN_ATTEMPTS) {
      await ends(ports, registration);
      throw new GoneError(
        'expired',
        'Too many wrong PINs: this registration has ended; restart it on the printer',
        {
          status: 'expired',
        },
      );
    }
    throw wrongPin(MAX_PIN_ATTEMPTS - attempts);
  }
  try {
    await ports.registrations.setStatus(
      registrationId,
      RegistrationStatus.pending,
      RegistrationStatus.claimed,
    );
  } catch (error) {
    if (error instanceof ConditionFailedError) {
      throw new GoneError('already-claimed', 'This registration was already claimed or has ended');
    }
    throw error;
  }
  await ports.guards.delete(pinGuardKey(registration.pinHash));
  return { printerId: registration.printerId };
}

async function ends(ports: RegistrationPorts, registration: RegistrationRecord): Promise<void> {
  try {
    await ports.registrations.setStatus(
      registration.registrationId,
      RegistrationStatus.pending,
      RegistrationStatus.expired,
    );
  } catch (error) {
    if (!(error instanceof ConditionFailedError)) throw error;
  }
  await ports.guards.delete(pinGuardKey(registration.pinHash));
}
