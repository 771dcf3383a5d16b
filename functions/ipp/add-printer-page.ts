/**
 * What the http(s) form of a share key's IPP URL shows in a browser (and what `printer-more-info` points
 * at): how to add this printer on each operating system, with the URL filled in, and an AirPrint profile
 * for iOS. Reachable only with the capability, like the printer itself.
 */
import { escapeHtml } from '../http.ts';

export interface AddPrinterInfo {
  name: string;
  ippUri: string;
  accepting: boolean;
}

export function addPrinterPage(info: AddPrinterInfo): string {
  const url = new URL(info.ippUri.replace(/^ipp(s?):/, 'http$1:'));
  const windowsUrl = info.ippUri.replace(/^ipp(s?):/, 'http$1:');
  const name = escapeHtml(info.name);
  const uri = escapeHtml(info.ippUri);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Add printer ${name}</title>
<style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
code{word-break:break-all;background:#f3f3f3;padding:.1rem .25rem}h1{font-size:1.4rem}</style>
</head>
<body>
<main>
<h1>Add printer ${name}</h1>
<p>${info.accepting ? 'It is accepting jobs.' : 'It is not accepting jobs right now: your computer keeps a job in its queue and sends it again later.'}</p>
<p>Printer URL (keep it private: it is the key to this printer):<br><code>${uri}</code></p>
<h2>Linux (CUPS)</h2>
<p><code>lpadmin -p cloud -E -v '${uri}' -m everywhere -o print-color-mode-default=color</code></p>
<h2>macOS</h2>
<p>System Settings → Printers &amp; Scanners → Add Printer → IP: address <code>${escapeHtml(url.host)}</code>,
protocol Internet Printing Protocol (IPP), queue <code>${escapeHtml(url.pathname)}</code>.</p>
<h2>Windows</h2>
<p>Settings → Printers → Add device → “The printer that I want isn't listed” → “Select a shared printer by name”:
<code>${escapeHtml(windowsUrl)}</code></p>
<h2>iPhone and iPad</h2>
<p><a href="?profile=airprint">Download the AirPrint profile</a>, then install it in Settings.</p>
<h2>Android</h2>
<p>Settings → Connected devices → Printing → Default Print Service → Add printer. This works only on Wi-Fi, not over mobile data.</p>
</main>
</body>
</html>
`;
}

function xml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A configuration profile with one AirPrint payload (`com.apple.airprint`: IPAddress, ResourcePath, Port, ForceTLS). */
export function airPrintProfile(info: AddPrinterInfo, uuids: { profile: string; payload: string }): string {
  const url = new URL(info.ippUri.replace(/^ipp(s?):/, 'http$1:'));
  const tls = info.ippUri.startsWith('ipps:');
  const port = Number(url.port || (tls ? 443 : 631));
  const id = `cloudprint.airprint.${uuids.profile}`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
  <key>PayloadContent</key>
  <array>
    <dict>
      <key>AirPrint</key>
      <array>
        <dict>
          <key>IPAddress</key><string>${xml(url.hostname)}</string>
          <key>ResourcePath</key><string>${xml(url.pathname.replace(/^\//, ''))}</string>
          <key>Port</key><integer>${port}</integer>
          <key>ForceTLS</key><${tls ? 'true' : 'false'}/>
        </dict>
      </array>
      <key>PayloadType</key><string>com.apple.airprint</string>
      <key>PayloadIdentifier</key><string>${id}.printer</string>
      <key>PayloadUUID</key><string>${uuids.payload}</string>
      <key>PayloadVersion</key><integer>1</integer>
      <key>PayloadDisplayName</key><string>${xml(info.name)}</string>
    </dict>
  </array>
  <key>PayloadDisplayName</key><string>Printer ${xml(info.name)}</string>
  <key>PayloadIdentifier</key><string>${id}</string>
  <key>PayloadType</key><string>Configuration</string>
  <key>PayloadUUID</key><string>${uuids.profile}</string>
  <key>PayloadVersion</key><integer>1</integer>
</dict>
</plist>
`;
}
