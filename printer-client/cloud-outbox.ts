/**
 * The printer's instructions to the cloud (accepting-jobs, status), sent reliably: only the latest
 * value matters, a failure is retried with backoff, and an unsent accepting-jobs change is kept in
 * the state file so it is sent after a restart. Nothing else sends these two commands.
 */
import { Backoff } from './backoff.ts';
import type { Clock, TimerHandle } from './clock.ts';
import type { CloudApi, PrinterStatusReport } from './cloud-api.ts';
import type { PrinterStore } from './printer-store.ts';

export interface OutboxDeps {
  cloud: CloudApi;
  store: PrinterStore;
  clock: Clock;
  printerId: string;
  log: (line: string) => void;
  backoff?: Backoff;
}

export class CloudOutbox {
  private readonly deps: OutboxDeps;
  private readonly backoff: Backoff;
  private status: PrinterStatusReport | null = null;
  private running = false;
  private stopped = false;
  private retry: TimerHandle | null = null;
  private waiters: Array<() => void> = [];

  constructor(deps: OutboxDeps) {
    this.deps = deps;
    this.backoff = deps.backoff ?? new Backoff({ baseMs: 1_000, maxMs: 30_000 });
  }

  /** The acceptance instruction (true) or acceptance stop instruction (false, with an IPP reason). */
  async setAccepting(value: boolean, reason: string | null): Promise<void> {
    const { store } = this.deps;
    store.data.accepting = { value, reason: value ? null : (reason ?? 'paused'), synced: false };
    await store.save();
    this.kick();
  }

  /** Queues the printer's current status; an older unsent one is replaced. */
  setStatus(report: PrinterStatusReport): void {
    this.status = report;
    this.kick();
  }

  /** Drops a queued status (the service went off: status is reported only while it is on). */
  dropStatus(): void {
    this.status = null;
  }

  get pending(): boolean {
    return this.status !== null || !this.deps.store.data.accepting.synced;
  }

  /** Resolves once nothing is waiting to be sent. */
  idle(): Promise<void> {
    if (!this.pending) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Sends whatever is waiting (e.g. an accepting-jobs change saved before a restart, or after registration). */
  kick(): void {
    if (this.stopped || this.running) return;
    this.deps.clock.clearTimer(this.retry);
    this.retry = null;
    this.running = true;
    void this.drain().finally(() => {
      this.running = false;
      // A change that arrived while the last send was finishing must not wait for the next one.
      if (!this.retry && this.pending && this.deps.store.data.token) this.kick();
    });
  }

  /** Stops sending (shutdown): nothing more goes to the cloud. */
  stop(): void {
    this.stopped = true;
    this.deps.clock.clearTimer(this.retry);
  }

  private async drain(): Promise<void> {
    const { store, cloud, printerId } = this.deps;
    while (!this.stopped && this.pending) {
      const token = store.data.token;
      if (!token) return; // kicked again once registered
      try {
        const accepting = store.data.accepting;
        if (!accepting.synced) {
          await cloud.setAccepting(token, printerId, accepting.value, accepting.reason ?? undefined);
          this.deps.log(
            `accepting-jobs=${accepting.value}${accepting.reason ? ` (${accepting.reason})` : ''} sent`,
          );
          // Only mark it sent if no newer instruction replaced it meanwhile.
          if (store.data.accepting === accepting) {
            store.data.accepting = { ...accepting, synced: true };
            await store.save();
          }
          continue;
        }
        const status = this.status;
        if (status) {
          await cloud.putStatus(token, printerId, status);
          if (this.status === status) this.status = null;
        }
        this.backoff.reset();
      } catch (error) {
        if (this.stopped) return;
        const delay = this.backoff.next();
        this.deps.log(
          `cloud command failed (${error instanceof Error ? error.message : error}); retry in ${delay} ms`,
        );
        this.retry = this.deps.clock.setTimer(() => this.kick(), delay);
        return;
      }
    }
    if (!this.pending) for (const resolve of this.waiters.splice(0)) resolve();
  }
}
