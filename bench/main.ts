/**
 * npm run bench: figures measured side by side in one run, printed as a table and as ratios.
 *  1. End-to-end latency of a one-page JPEG: submit → PDF written by printer-client → job completed,
 *     median and p95 over N jobs, the local cloud and printer-client as separate processes.
 *  2. The cost of a refused print request vs an accepted one for a 4 MB image, on an in-process local
 *     cloud: wall time, CPU time, DynamoDB and S3 operations (counted by an SDK middleware), conversions.
 */
import { latencyBench } from './latency.ts';
import { refusalBench } from './refusal.ts';

const jobs = Number(process.env.BENCH_JOBS ?? 50);
const requests = Number(process.env.BENCH_REQUESTS ?? 10);

console.log(`cloudprint bench — node ${process.version}, ${new Date().toISOString()}\n`);
await latencyBench(jobs);
console.log('');
await refusalBench(requests);
process.exit(0);
