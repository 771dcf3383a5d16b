/**
 * `node infra/stage-sharp.ts <x86_64|arm64> <outDir>`: puts sharp for that Lambda architecture into
 * `<outDir>/node_modules` (infra/sharp-package.ts). The converting function's bundling runs it after
 * esbuild, so the bundle's bare `import "sharp"` resolves from /var/task/node_modules on Lambda.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArchitecture } from './platform.ts';
import { defaultCacheDir, stageSharp } from './sharp-package.ts';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const [architecture, outDir] = process.argv.slice(2);
if (!architecture || !outDir) {
  console.error('usage: node infra/stage-sharp.ts <x86_64|arm64> <outDir>');
  process.exit(2);
}
const packages = stageSharp(outDir, {
  lockfile: join(projectRoot, 'package-lock.json'),
  architecture: parseArchitecture(architecture),
  cacheDir: defaultCacheDir(projectRoot),
});
console.error(`sharp for ${architecture}: ${packages.map((p) => `${p.name}@${p.version}`).join(' ')}`);
