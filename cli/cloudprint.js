#!/usr/bin/env node
// The `cloudprint` command (package.json "bin"). cli/main.ts is TypeScript run by type stripping:
// a Node that strips types runs it here; an older one hands over to the project's own Node 24
// (the `node` package in devDependencies), with the same arguments and exit code.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);

if (process.features.typescript) {
  const { run } = await import('./main.ts');
  await run(args);
} else {
  let bundled;
  try {
    bundled = join(dirname(createRequire(import.meta.url).resolve('node/package.json')), 'bin', 'node');
  } catch {
    bundled = undefined;
  }
  if (!bundled || !existsSync(bundled)) {
    console.error(
      `cloudprint: Node ${process.versions.node} cannot run TypeScript; use Node 22.18 or newer, or run npm install in the cloudprint folder (it brings Node 24)`,
    );
    process.exit(2);
  }
  const main = fileURLToPath(new URL('./main.ts', import.meta.url));
  const child = spawnSync(bundled, [main, ...args], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}
