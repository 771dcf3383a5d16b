import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elfMachine } from './assembly-check.ts';
import { PROJECT_ROOT } from './cloudprint-stack.ts';
import { ARCHITECTURES, PLATFORMS } from './platform.ts';
import {
  cachedPackageDir,
  defaultCacheDir,
  fetchPackage,
  matchesIntegrity,
  npmPack,
  type Packer,
  sharpPackages,
  stageSharp,
} from './sharp-package.ts';

const LOCKFILE = join(PROJECT_ROOT, 'package-lock.json');
let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'cloudprint-sharp-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A real npm-style tarball (`package/…`) holding one package.json. */
function makeTarball(dir: string, name: string, version: string): string {
  const src = join(dir, `src-${name.replace('/', '+')}`);
  mkdirSync(join(src, 'package'), { recursive: true });
  writeFileSync(join(src, 'package', 'package.json'), JSON.stringify({ name, version }));
  const tarball = join(dir, `${name.replace('/', '-')}-${version}.tgz`);
  const run = spawnSync('tar', ['-czf', tarball, '-C', src, 'package']);
  expect(run.status).toBe(0);
  return tarball;
}

function integrityOf(file: string): string {
  return `sha512-${spawnSync('openssl', ['dgst', '-sha512', '-binary', file]).stdout.toString('base64')}`;
}

describe('sharpPackages', () => {
  it('takes sharp, its runtime dependencies and only the platform packages of the architecture, from the lockfile', () => {
    for (const architecture of ARCHITECTURES) {
      // Act
      const packages = sharpPackages(LOCKFILE, architecture);
      // Assess
      const platform = PLATFORMS[architecture].sharp;
      const names = packages.map((p) => p.name);
      expect(names).toEqual(
        expect.arrayContaining(['sharp', 'detect-libc', 'semver', '@img/colour', `@img/sharp-${platform}`]),
      );
      expect(names.filter((n) => n.startsWith('@img/sharp-'))).toEqual(
        [`@img/sharp-${platform}`, `@img/sharp-libvips-${platform}`].sort(),
      );
      for (const pkg of packages) expect(pkg.integrity).toMatch(/^sha512-[A-Za-z0-9+/]+=*$/);
    }
  });

  it('refuses a lockfile that does not pin the platform package', () => {
    // Prepare
    const lock = JSON.parse(readFileSync(LOCKFILE, 'utf8')) as { packages: Record<string, unknown> };
    delete lock.packages['node_modules/@img/sharp-linux-arm64'];
    const file = join(scratch, 'partial-lock.json');
    writeFileSync(file, JSON.stringify(lock));
    // Act + Assess
    expect(() => sharpPackages(file, 'arm64')).toThrow(/@img\/sharp-linux-arm64 is not pinned/);
    expect(sharpPackages(file, 'x86_64').length).toBeGreaterThan(0);
  });
});

describe('fetchPackage', () => {
  it('unpacks a tarball whose sha512 matches and serves it from the cache afterwards', () => {
    // Prepare
    const work = mkdtempSync(join(scratch, 'ok-'));
    const tarball = makeTarball(work, 'demo', '1.0.0');
    const pkg = { name: 'demo', version: '1.0.0', integrity: integrityOf(tarball) };
    const specs: string[] = [];
    const pack: Packer = (spec, dir) => {
      specs.push(spec);
      const copy = join(dir, 'demo-1.0.0.tgz');
      writeFileSync(copy, readFileSync(tarball));
      return copy;
    };
    const cache = join(work, 'cache');
    // Act
    const first = fetchPackage(pkg, cache, pack);
    const second = fetchPackage(pkg, cache, pack);
    // Assess
    expect(first).toBe(cachedPackageDir(cache, pkg));
    expect(second).toBe(first);
    expect(JSON.parse(readFileSync(join(first, 'package.json'), 'utf8'))).toEqual({
      name: 'demo',
      version: '1.0.0',
    });
    expect(specs).toEqual(['demo@1.0.0']);
    expect(readdirSync(cache)).toEqual([first.slice(cache.length + 1)]);
  });

  it('refuses a tarball whose sha512 is not the lockfile one, and caches nothing', () => {
    // Prepare
    const work = mkdtempSync(join(scratch, 'bad-'));
    const genuine = makeTarball(work, 'demo', '1.0.0');
    const other = makeTarball(mkdtempSync(join(work, 'x-')), 'demo', '1.0.1');
    const pkg = { name: 'demo', version: '1.0.0', integrity: integrityOf(genuine) };
    const cache = join(work, 'cache');
    // Act + Assess
    expect(() => fetchPackage(pkg, cache, () => other)).toThrow(/does not match package-lock.json/);
    expect(existsSync(cachedPackageDir(cache, pkg))).toBe(false);
    expect(readdirSync(cache)).toEqual([]);
    expect(matchesIntegrity(readFileSync(genuine), pkg.integrity)).toBe(true);
  });
});

describe('stageSharp from the npm registry', () => {
  for (const architecture of ARCHITECTURES) {
    it(`puts sharp for linux ${architecture} into node_modules, native files ELF for that machine`, () => {
      // Prepare
      const out = mkdtempSync(join(scratch, `stage-${architecture}-`));
      // Act: the project's cache (a synth fills it too), so a warm run needs no network
      const staged = stageSharp(out, {
        lockfile: LOCKFILE,
        architecture,
        cacheDir: defaultCacheDir(PROJECT_ROOT),
        pack: npmPack,
      });
      // Assess
      const platform = PLATFORMS[architecture];
      for (const pkg of staged) {
        const manifest = JSON.parse(
          readFileSync(join(out, 'node_modules', pkg.name, 'package.json'), 'utf8'),
        );
        expect(manifest).toMatchObject({ name: pkg.name, version: pkg.version });
      }
      const binaryDir = join(out, 'node_modules', '@img', `sharp-${platform.sharp}`, 'lib');
      const binary = readdirSync(binaryDir).find((f) => f.endsWith('.node'));
      expect(binary).toBeDefined();
      expect(elfMachine(join(binaryDir, binary ?? ''))).toBe(platform.elfMachine);
      const libDir = join(out, 'node_modules', '@img', `sharp-libvips-${platform.sharp}`, 'lib');
      const libvips = readdirSync(libDir).find((f) => f.startsWith('libvips-cpp.so'));
      expect(elfMachine(join(libDir, libvips ?? ''))).toBe(platform.elfMachine);
    }, 120_000);
  }
});
