/**
 * The service state machine (patent figures 3–7, claims 1–4), the one place that decides what
 * turning the cloud print service on or off says to the cloud:
 *
 *   disabled ──enable──▶ enabled: open the push connection (or start polling), then send
 *                        accepting-jobs=true (false with its reason while a resource stop is in force)
 *   enabled ──disable──▶ disabled: close the connection (goodbye), then per stop policy
 *      now    send accepting-jobs=false (paused)                      T212–T224
 *      ask    show the inquiry; yes → send false, no → send nothing    T312–T342
 *      never  send nothing: the cloud keeps accepting and holds jobs   T430–T440
 *      after  send false once the service stayed off that long          T500–T532
 *             (a pending stop survives restarts; enabling cancels it)
 *
 * Losing the connection or stopping the process is not turning the service off (claim 1).
 */
import type { Clock, TimerHandle } from './clock.ts';
import type { CloudConnection } from './cloud-connection.ts';
import type { CloudOutbox } from './cloud-outbox.ts';
import type { PrinterStore, StopPolicy } from './printer-store.ts';

export interface ServiceDeps {
  store: PrinterStore;
  connection: CloudConnection;
  outbox: CloudOutbox;
  clock: Clock;
  /** Milliseconds in a "minute" of the stop-after delay (60 000; tests shorten it). */
  minuteMs: number;
  log: (line: string) => void;
  /** The service is on: report the current status, resume suspended jobs. */
  onEnabled: () => void;
}

export class ServiceMachine {
  private readonly deps: ServiceDeps;
  private stopTimer: TimerHandle | null = null;

  constructor(deps: ServiceDeps) {
    this.deps = deps;
  }

  get enabled(): boolean {
    return this.deps.store.data.service === 'enabled';
  }

  /** After a (re)start: reconnect if the service was on, re-arm a pending stop (sent now if overdue). */
  async restore(): Promise<void> {
    const { store } = this.deps;
    if (this.enabled) {
      // A restart is not a transition: the cloud's accepting-jobs stays as last instructed.
      this.deps.connection.start();
      this.deps.onEnabled();
    } else if (store.data.pendingStop) {
      const at = Date.parse(store.data.pendingStop.at);
      // Fell due while the client was down: the stop is owed now.
      if (!(at > this.deps.clock.now())) await this.firePendingStop();
      else this.armPendingStop(at);
    }
  }

  /**
   * A registration completed. The cloud starts a newly claimed printer not accepting (paused), so
   * an enabled service connects and gives its acceptance instruction now.
   */
  async registered(): Promise<void> {
    const { store } = this.deps;
    store.data.accepting = { value: false, reason: 'paused', synced: true };
    await store.save();
    if (!this.enabled) return;
    this.deps.connection.start();
    const wanted = this.wantedAccepting();
    await this.deps.outbox.setAccepting(wanted.value, wanted.reason);
    this.deps.onEnabled();
  }

  async enable(): Promise<void> {
    const { store, outbox } = this.deps;
    this.cancelPendingStop();
    store.data.inquiry = false;
    const wasEnabled = this.enabled;
    store.data.service = 'enabled';
    await store.save();
    this.deps.connection.start();
    const accepting = store.data.accepting;
    const wanted = this.wantedAccepting();
    // Send the acceptance instruction on the transition, or whenever the cloud may hold something else.
    if (!wasEnabled || accepting.value !== wanted.value || accepting.reason !== wanted.reason) {
      await outbox.setAccepting(wanted.value, wanted.reason);
    }
    if (!wasEnabled) this.deps.log('service enabled');
    this.deps.onEnabled();
  }

  /**
   * Turns the service off with `policy` (the saved setting when not given). Disabling an already
   * disabled service applies the new policy: the latest instruction wins.
   */
  async disable(policy?: StopPolicy, afterMinutes?: number): Promise<void> {
    const { store, outbox, connection, clock } = this.deps;
    const chosen = policy ?? store.data.settings.stopAccepting;
    const minutes = afterMinutes ?? store.data.settings.afterMinutes;
    this.cancelPendingStop();
    store.data.service = 'disabled';
    store.data.inquiry = false;
    await store.save();
    outbox.dropStatus();
    // Close first (T220), then instruct: the order of figure 4.
    await connection.stop({ goodbye: true });
    this.deps.log(`service disabled (stop accepting: ${chosen})`);
    switch (chosen) {
      case 'now':
        await outbox.setAccepting(false, 'paused');
        break;
      case 'ask':
        store.data.inquiry = true;
        await store.save();
        break;
      case 'never':
        break;
      case 'after': {
        const at = clock.now() + Math.max(0, minutes) * this.deps.minuteMs;
        store.data.pendingStop = { at: new Date(at).toISOString() };
        await store.save();
        this.armPendingStop(at);
        break;
      }
    }
  }

  /** The owner's answer on the inquiry screen SC4. */
  async answerInquiry(stopAccepting: boolean): Promise<void> {
    const { store, outbox } = this.deps;
    if (!store.data.inquiry) throw new InquiryClosedError();
    store.data.inquiry = false;
    await store.save();
    if (stopAccepting) await outbox.setAccepting(false, 'paused');
  }

  /** What an enabled service tells the cloud: accepting, unless a resource stop is in force. */
  private wantedAccepting(): { value: boolean; reason: string | null } {
    const stop = this.deps.store.data.resourceStop;
    return stop ? { value: false, reason: stop.reason } : { value: true, reason: null };
  }

  /** Process shutdown: forget timers, send nothing. */
  shutdown(): void {
    this.deps.clock.clearTimer(this.stopTimer);
    this.stopTimer = null;
  }

  private armPendingStop(at: number): void {
    const { clock } = this.deps;
    clock.clearTimer(this.stopTimer);
    this.stopTimer = clock.setTimer(() => void this.firePendingStop(), Math.max(0, at - clock.now()));
  }

  private async firePendingStop(): Promise<void> {
    const { store, outbox } = this.deps;
    this.stopTimer = null;
    if (this.enabled || !store.data.pendingStop) return;
    store.data.pendingStop = null;
    this.deps.log('the service stayed off: stopping acceptance');
    await outbox.setAccepting(false, 'paused');
  }

  private cancelPendingStop(): void {
    this.deps.clock.clearTimer(this.stopTimer);
    this.stopTimer = null;
    this.deps.store.data.pendingStop = null;
  }
}

export class InquiryClosedError extends Error {
  constructor() {
    super('no inquiry is open');
    this.name = 'InquiryClosedError';
  }
}
