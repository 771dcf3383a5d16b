// How to add a printer to a computer or phone's own print dialog: a share key's IPP URL (its ippUri, a
// capability URL: CUPS, Windows and Android send no bearer token) and the steps per operating system.
import { qrSvg } from './qr.js';

/** `ipp://host:port/p` → `http://host:port/p`, `ipps://…` → `https://…`: the same door over HTTP(S). */
export function httpFormOf(ippUri) {
  return ippUri.replace(/^ipp(s?):/, 'http$1:');
}

/** The AirPrint profile the IPP door serves at the http(s) form of the URL (functions/ipp/handler.ts). */
export function airPrintProfileUrl(ippUri) {
  return `${httpFormOf(ippUri)}?profile=airprint`;
}

/** Writes `text` to the clipboard; where the Clipboard API is refused, selects it for Ctrl+C instead. */
async function copy(text, field, status) {
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = 'Copied.';
  } catch {
    field.focus();
    field.select();
    status.textContent = 'Selected: press Ctrl+C (or ⌘C) to copy.';
  }
}

let counter = 0;

/**
 * The steps for one share key, as a disclosure: the URL with a copy button, then CUPS, macOS, Windows,
 * iPhone/iPad (the AirPrint profile) and Android. `h` builds elements (app.js).
 */
export function deviceSteps(
  h,
  { keyId, printerName, label, ippUri, open = false, own = false, heading = 'h5' },
) {
  const n = ++counter;
  const fieldId = `ipp-uri-${n}`;
  const statusId = `ipp-copy-${n}`;
  const http = httpFormOf(ippUri);
  const url = new URL(http);
  const secure = ippUri.startsWith('ipps:');
  const field = h('input', {
    id: fieldId,
    class: 'uri',
    type: 'text',
    readonly: true,
    value: ippUri,
    spellcheck: 'false',
    autocomplete: 'off',
  });
  const status = h('span', { id: statusId, class: 'copied', role: 'status' });
  const code = (text) => h('code', {}, text);
  const command = `lpadmin -p cloud -E -v '${ippUri}' -m everywhere -o print-color-mode-default=color`;
  return h(
    'details',
    { class: 'device', open, 'data-key-id': keyId },
    h('summary', {}, `Add ${printerName} to a computer or phone${own ? '' : ` (${label})`}`),
    h('label', { for: fieldId }, 'Printer URL (IPP)'),
    h(
      'div',
      { class: 'copy-row' },
      field,
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          'aria-describedby': statusId,
          onclick: () => copy(ippUri, field, status),
        },
        'Copy',
      ),
    ),
    status,
    h(
      'p',
      { class: 'hint' },
      own
        ? `Keep it private: anyone with this URL may print to ${printerName} in your name. It stops working when the owner removes your access.`
        : `Keep it private: anyone with this URL may print to ${printerName} as “${label}”. Revoking the key ends it.`,
    ),
    h(heading, {}, 'Linux and other CUPS systems'),
    h('p', {}, 'In a terminal:'),
    h('pre', {}, code(command)),
    h(heading, {}, 'macOS'),
    h(
      'p',
      {},
      'System Settings → Printers & Scanners → Add Printer, Scanner or Fax… → IP (the globe). Address: ',
      code(url.host),
      ', Protocol: Internet Printing Protocol – IPP, Queue: ',
      code(url.pathname),
      '. For Use, choose “AirPrint” (macOS asks the printer what it can do).',
    ),
    secure
      ? h(
          'p',
          { class: 'hint' },
          'This address needs TLS (ipps); if the IP pane does not connect, the Terminal command above works on macOS too (macOS prints with CUPS).',
        )
      : null,
    h(heading, {}, 'Windows 10 and 11'),
    h(
      'p',
      {},
      'Settings → Bluetooth & devices → Printers & scanners → Add device → “Add manually” (“The printer that I want isn’t listed”) → “Select a shared printer by name”, and enter ',
      code(http),
      '. Windows takes the http:// or https:// form here, not ipp:// or ipps://. If Windows asks for a driver, choose Microsoft → Microsoft IPP Class Driver (the “Internet Printing Client” Windows feature must be on).',
    ),
    h(heading, {}, 'iPhone and iPad'),
    h(
      'p',
      {},
      h(
        'a',
        { href: airPrintProfileUrl(ippUri), download: 'cloudprint.mobileconfig', rel: 'noreferrer' },
        `Download the AirPrint profile for ${printerName}`,
      ),
      ' on the iPhone or iPad (in Safari), then Settings → Profile Downloaded → Install. Or scan this code with its camera to open these steps there:',
    ),
    qrSvg(http, `QR code of the add-printer page of ${printerName}${own ? '' : ` for ${label}`}`),
    h(heading, {}, 'Android'),
    h(
      'p',
      {},
      'Android’s own print service (and Mopria) add a printer by address only on Wi-Fi, on the same network as the printer, and the address cannot carry this URL: on mobile data a manually added printer does not work. On Android, share a photo or PDF to this app (or open it and press Print) instead.',
    ),
  );
}
