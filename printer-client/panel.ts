/**
 * The device's own display (the patent's variation 3): status, the inquiry screen SC4 and the settings
 * screen SC5 on the terminal the printer-client runs in, answered from the keyboard. Every answer goes
 * through the same Printer methods as the web pages (web-server.ts), so the same service state machine
 * (service-state.ts) decides what the cloud is told.
 */
import type { Printer, PrinterSnapshot } from './printer.ts';
import type { StopPolicy } from './printer-store.ts';

export interface PanelIo {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
}

type Screen = 'status' | 'settings';

const POLICIES: StopPolicy[] = ['now', 'ask', 'never', 'after'];
const REDRAW_MS = 300;

/** Draws the panel and reads keys until `close()`. Needs a TTY: without one it says so and does nothing. */
export interface Panel {
  /** A log line, shown under the screen (the panel owns the terminal, so logs are not printed over it). */
  note(line: string): void;
  close(): void;
}

/** Log lines kept under the screen. */
const NOTES = 5;

export function startPanel(printer: Printer, io: PanelIo, log: (line: string) => void): Panel | null {
  if (!io.input.isTTY) {
    log('--panel needs a terminal (TTY) on stdin: the panel is not shown');
    return null;
  }
  let screen: Screen = 'status';
  let message = '';
  let shown = '';
  const notes: string[] = [];
  io.input.setRawMode(true);
  io.input.setEncoding('utf8');
  io.input.resume();

  const draw = () => {
    const text = `${render(printer.snapshot(), screen, message)}\n\n${notes.join('\n')}`;
    if (text === shown) return;
    shown = text;
    io.output.write(`\x1b[2J\x1b[H${text.replaceAll('\n', '\r\n')}\r\n`);
  };
  const act = async (work: Promise<void>, done: string) => {
    try {
      await work;
      message = done;
    } catch (error) {
      message = `failed: ${error instanceof Error ? error.message : error}`;
    }
    draw();
  };
  const onKey = (key: string) => {
    const snapshot = printer.snapshot();
    if (key === '\u0003')
      process.kill(process.pid, 'SIGINT'); // Ctrl-C in raw mode
    else if (snapshot.inquiry && (key === 'y' || key === 'n')) {
      void act(printer.answerInquiry(key === 'y'), key === 'y' ? 'stopped accepting' : 'still accepting');
    } else if (screen === 'settings') {
      const policy = POLICIES[Number(key) - 1];
      if (policy) void act(printer.saveSettings({ stopAccepting: policy }), `setting saved: ${policy}`);
      else if (key === 'b' || key === '\u001b') screen = 'status';
    } else if (key === 'o') {
      void act(printer.setService(snapshot.service !== 'enabled'), 'service switched');
    } else if (key === 's') screen = 'settings';
    draw();
  };
  // Keys typed quickly arrive together: each character is a key.
  const onData = (chunk: string) => {
    for (const key of chunk) onKey(key);
  };
  io.input.on('data', onData);
  const timer = setInterval(draw, REDRAW_MS);
  draw();
  return {
    note(line) {
      notes.push(line.slice(0, 200));
      if (notes.length > NOTES) notes.shift();
      draw();
    },
    close() {
      clearInterval(timer);
      io.input.off('data', onData);
      io.input.setRawMode(false);
      io.input.pause();
    },
  };
}

/** One screen of the panel as text (lines). */
export function render(s: PrinterSnapshot, screen: Screen, message: string): string {
  const lines = [
    `== ${s.name} (${s.printerId}) ==`,
    `service: ${s.service}   cloud: ${s.connection}   accepting: ${s.acceptingJobs ? 'yes' : `no (${s.acceptingReason ?? 'paused'})`}`,
    `state: ${s.state}${s.reasons.length ? ` (${s.reasons.join(', ')})` : ''}   toner ${s.supplies.toner ?? '?'}%   paper ${s.supplies.paper ?? '?'}`,
  ];
  if (s.registration)
    lines.push(`register: open ${s.registration.claimUrl} and enter PIN ${s.registration.pin}`);
  lines.push('');
  if (s.inquiry) {
    // SC4
    lines.push('Stop accepting print requests?   [y] yes   [n] no');
  } else if (screen === 'settings') {
    // SC5
    lines.push('Settings: when the service is turned off, stop accepting print requests');
    POLICIES.forEach((policy, i) => {
      const mark = s.settings.stopAccepting === policy ? '*' : ' ';
      const after = policy === 'after' ? ` ${s.settings.afterMinutes} minutes` : '';
      lines.push(`  [${i + 1}]${mark} ${policy}${after}`);
    });
    lines.push('  [b] back');
  } else {
    lines.push(`[o] turn the service ${s.service === 'enabled' ? 'off' : 'on'}   [s] settings   Ctrl-C quit`);
  }
  if (message) lines.push('', message);
  return lines.join('\n');
}
