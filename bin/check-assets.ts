/**
 * `node bin/check-assets.ts [cdk.out]`: after `npm run synth`, shows each function's architecture
 * and the sharp it carries, and fails when an asset could not load on Lambda as built
 * (infra/assembly-check.ts).
 */
import { checkAssembly } from '../infra/assembly-check.ts';

const outdir = process.argv[2] ?? 'cdk.out';
const report = checkAssembly(outdir);
for (const fn of report.functions) {
  const sharp = fn.sharpPlatformPackages.length ? fn.sharpPlatformPackages.join(' ') : '-';
  console.log(`${fn.logicalId.padEnd(48)} ${fn.architecture.padEnd(7)} ${sharp}`);
}
for (const problem of report.problems) console.error(`PROBLEM ${problem}`);
console.log(report.problems.length ? 'FAIL' : `OK: ${report.functions.length} function assets`);
process.exit(report.problems.length ? 1 : 0);
