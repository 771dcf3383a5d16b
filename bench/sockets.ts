/**
 * `npm run bench -- --sockets N`: N printers, each registered with its own access token, hold a push
 * connection to the local cloud's WebSocket gateway at once. Reported: the time to connect them all,
 * the cloud process's resident memory (goal: 10,000 within 1 GB) and the job notification latency under
 * that load, submit → `job-available` at the printer's socket (goal: p99 ≤ 50 ms).
 * The cloud runs as its own process (npm start), so its memory is its own; the printers are seeded
 * straight into its DynamoDB (the PIN flow for 10,000 printers would measure registration instead).
 */

import sharp from 'sharp';
import WebSocket from 'ws';
import { startCloud } from '../test/support/processes.ts';
import { pool, rssMiB, seedPrinters } from './fleet.ts';
import { ms, percentile } from './stats.ts';

export async function socketsBench(count: number, samples: number): Promise<void> {
  const cloud = await startCloud({ env: { CLOUDPRINT_WS_IDLE_MS: String(60 * 60_000) } });
  const sockets: WebSocket[] = [];
  try {
    const local = cloud.local;
    let t0 = performance.now();
    const printers = await seedPrinters(local, count, 'sock');
    const seedMs = performance.now() - t0;
    const rssBefore = await rssMiB(cloud.child.pid);

    const arrivals = new Map<string, (at: number) => void>();
    t0 = performance.now();
    let failed = 0;
    await pool(
      printers,
      64,
      ({ printerId, token }) =>
        new Promise<void>((resolve) => {
          const socket = new WebSocket(local.wsUrl, { headers: { authorization: `Bearer ${token}` } });
          socket.once('open', () => {
            sockets.push(socket);
            resolve();
          });
          socket.once('error', () => {
            failed++;
            resolve();
          });
          socket.on('message', () => arrivals.get(printerId)?.(performance.now()));
        }),
    );
    const connectMs = performance.now() - t0;
    // $connect handlers finish after the upgrade: let the gateway settle before reading memory
    await new Promise((r) => setTimeout(r, 2000));
    const rssConnected = await rssMiB(cloud.child.pid);

    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    const latencies: number[] = [];
    const warmup = 3; // the first submits load the handlers and start the conversion worker
    for (let i = -warmup; i < samples; i++) {
      const { printerId } = printers[((i + warmup) * 7919) % count] ?? { printerId: '' };
      const arrived = new Promise<number>((resolve) => arrivals.set(printerId, resolve));
      const start = performance.now();
      const res = await fetch(`${local.apiUrl}/v1/printers/${printerId}/jobs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${local.ownerKey}`, 'content-type': 'image/png' },
        body: png,
      });
      await res.arrayBuffer();
      if (res.status !== 202) throw new Error(`submit to ${printerId}: ${res.status}`);
      const at = await Promise.race([
        arrived,
        new Promise<number>((r) => setTimeout(() => r(Number.NaN), 10_000)),
      ]);
      arrivals.delete(printerId);
      if (i >= 0) latencies.push(at - start);
    }
    const rssAfter = await rssMiB(cloud.child.pid);
    latencies.sort((a, b) => a - b);
    const lost = latencies.filter((l) => Number.isNaN(l)).length;
    const seen = latencies.filter((l) => !Number.isNaN(l));

    console.log(
      `5. ${count} printer sockets on the local gateway (each its own printer and token), cloud as its own process`,
    );
    console.log('   | measure                                        | value            | goal        |');
    console.log('   | ---------------------------------------------- | ---------------- | ----------- |');
    const row = (name: string, value: string, goal = '') =>
      console.log(`   | ${name.padEnd(46)} | ${value.padEnd(16)} | ${goal.padEnd(11)} |`);
    row('printers seeded (3 DynamoDB writes each)', `${(seedMs / 1000).toFixed(1)} s`);
    row('sockets connected', `${sockets.length} (${failed} failed)`, String(count));
    row('time to connect them all (64 at a time)', `${(connectMs / 1000).toFixed(1)} s`);
    row('cloud RSS before the sockets', `${rssBefore.toFixed(0)} MiB`);
    row('cloud RSS with all connected', `${rssConnected.toFixed(0)} MiB`, '≤ 1024 MiB');
    row('cloud RSS after the notifications', `${rssAfter.toFixed(0)} MiB`);
    row(`notification p50 (submit → job-available, ${samples})`, ms(percentile(seen, 50)));
    row('notification p99', ms(percentile(seen, 99)), '≤ 50 ms');
    row('notifications not received within 10 s', String(lost), '0');
    console.log('   the restart with 2,000 printers holding backlogs: npm run bench -- --restart 2000');
  } finally {
    for (const socket of sockets) socket.terminate();
    await cloud.stop();
  }
}
