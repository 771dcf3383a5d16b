/** A pending PIN registration (patent T10–T62). */

export const RegistrationStatus = {
  pending: 'pending',
  claimed: 'claimed',
  complete: 'complete',
  expired: 'expired',
} as const;
export type RegistrationStatus = (typeof RegistrationStatus)[keyof typeof RegistrationStatus];

export interface RegistrationRecord {
  registrationId: string;
  printerId: string;
  name: string;
  capabilities: Record<string, unknown>;
  pinHash: string;
  pollTokenHash: string;
  status: RegistrationStatus;
  failedAttempts: number;
  expiresAt: string;
  /** Epoch milliseconds of the last accepted poll (slow_down check). */
  lastPollAtMs?: number;
  createdAt: string;
  expiresAtEpoch: number;
}
