/**
 * sharp for the Lambda's platform, whatever machine runs the synth: every package sharp needs there
 * is fetched from the npm registry (`npm pack`) at the version package-lock.json pins, its tarball
 * checked against the lockfile's sha512 integrity, and unpacked into a cache keyed by that integrity.
 * `npm ci` installs sharp's native packages for the machine it runs on only, so node_modules is no
 * source for a Linux build on a Mac or for arm64 on x86.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LambdaArchitecture } from './platform.ts';
import { PLATFORMS } from './platform.ts';

interface LockEntry {
  version?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

export interface LockedPackage {
  name: string;
  version: string;
  /** `sha512-<base64>` from package-lock.json. */
  integrity: string;
}

/**
 * sharp, its runtime dependencies, and of its optional (per-platform) dependencies only the two for
 * `architecture`, as package-lock.json pins them. Read from the lockfile, so a sharp upgrade needs no
 * change here; nested copies (`node_modules/sharp/node_modules/x`) win over hoisted ones, as in Node.
 */
export function sharpPackages(lockfile: string, architecture: LambdaArchitecture): LockedPackage[] {
  const lock = JSON.parse(readFileSync(lockfile, 'utf8')) as { packages?: Record<string, LockEntry> };
  const entries = lock.packages ?? {};
  const platform = PLATFORMS[architecture].sharp;
  const wanted = new Set([`@img/sharp-${platform}`, `@img/sharp-libvips-${platform}`]);
  const found = new Map<string, LockedPackage>();
  const visit = (name: string, from: string): void => {
    if (found.has(name)) return;
    const path = [`${from}/node_modules/${name}`, `node_modules/${name}`].find((p) => entries[p]);
    const entry = path ? entries[path] : undefined;
    if (!path || !entry?.version || !entry.integrity) {
      throw new Error(`${name} is not pinned with an integrity in ${lockfile}`);
    }
    found.set(name, { name, version: entry.version, integrity: entry.integrity });
    for (const dependency of Object.keys(entry.dependencies ?? {})) visit(dependency, path);
    for (const optional of Object.keys(entry.optionalDependencies ?? {})) {
      if (wanted.has(optional)) visit(optional, path);
    }
  };
  visit('sharp', '');
  for (const name of wanted) {
    if (!found.has(name)) throw new Error(`sharp in ${lockfile} does not depend on ${name}`);
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Whether a tarball's bytes are the ones the lockfile names (`sha512-<base64>`). */
export function matchesIntegrity(tarball: Buffer, integrity: string): boolean {
  const [algorithm, expected] = integrity.split('-', 2) as [string, string | undefined];
  if (algorithm !== 'sha512' || !expected) throw new Error(`unsupported integrity ${integrity}`);
  return createHash('sha512').update(tarball).digest('base64') === expected;
}

/** Where one package's verified contents live in the cache: the integrity names the bytes. */
export function cachedPackageDir(cacheDir: string, pkg: LockedPackage): string {
  const digest = Buffer.from(pkg.integrity.slice('sha512-'.length), 'base64').toString('hex').slice(0, 16);
  return join(cacheDir, `${pkg.name.replace('/', '+')}@${pkg.version}-${digest}`);
}

/** Runs `npm pack` for one exact version into `dir` and returns the tarball's path. */
export type Packer = (spec: string, dir: string) => string;

export const npmPack: Packer = (spec, dir) => {
  const run = spawnSync('npm', ['pack', spec, '--pack-destination', dir, '--json', '--silent'], {
    encoding: 'utf8',
    // npm is npm.cmd on Windows outside WSL
    shell: process.platform === 'win32',
  });
  if (run.status !== 0) throw new Error(`npm pack ${spec} failed: ${run.stderr || run.error}`);
  const [packed] = JSON.parse(run.stdout) as { filename: string }[];
  if (!packed) throw new Error(`npm pack ${spec} printed no file name`);
  // scoped tarballs are named `img-sharp-linux-arm64-0.35.5.tgz`
  return join(dir, packed.filename.replace(/^@/, '').replace('/', '-'));
};

/**
 * The package's directory in the cache, fetching and verifying it first if it is not there. Two
 * synths at once each unpack into a directory of their own and rename it into place: one wins,
 * the other's copy is dropped, and no reader ever sees a half-unpacked package.
 */
export function fetchPackage(pkg: LockedPackage, cacheDir: string, pack: Packer = npmPack): string {
  const target = cachedPackageDir(cacheDir, pkg);
  if (existsSync(join(target, 'package.json'))) return target;
  mkdirSync(cacheDir, { recursive: true });
  const work = join(cacheDir, `.fetch-${randomBytes(6).toString('hex')}`);
  mkdirSync(work);
  try {
    const tarball = pack(`${pkg.name}@${pkg.version}`, work);
    if (!matchesIntegrity(readFileSync(tarball), pkg.integrity)) {
      throw new Error(
        `${pkg.name}@${pkg.version} from the registry does not match package-lock.json's integrity`,
      );
    }
    const untar = spawnSync('tar', ['-xzf', tarball, '-C', work], { encoding: 'utf8' });
    if (untar.status !== 0)
      throw new Error(`tar could not unpack ${tarball}: ${untar.stderr || untar.error}`);
    // npm tarballs hold one top-level folder, `package/`
    try {
      renameSync(join(work, 'package'), target);
    } catch (error) {
      if (!existsSync(join(target, 'package.json'))) throw error;
    }
    return target;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export interface StageSharpOptions {
  lockfile: string;
  architecture: LambdaArchitecture;
  cacheDir: string;
  pack?: Packer;
}

/**
 * Copies sharp and the packages it loads for `architecture` into `<outDir>/node_modules`, where
 * Node's standard resolution finds them from a bundle in `outDir` (ESM and CommonJS alike).
 */
export function stageSharp(outDir: string, options: StageSharpOptions): LockedPackage[] {
  const packages = sharpPackages(options.lockfile, options.architecture);
  for (const pkg of packages) {
    const source = fetchPackage(pkg, options.cacheDir, options.pack);
    cpSync(source, join(outDir, 'node_modules', pkg.name), { recursive: true });
  }
  return packages;
}

/** The cache: CLOUDPRINT_CACHE_DIR, else node_modules/.cache/cloudprint (git-ignored, gone with npm ci). */
export function defaultCacheDir(projectRoot: string): string {
  return process.env.CLOUDPRINT_CACHE_DIR || join(projectRoot, 'node_modules', '.cache', 'cloudprint', 'npm');
}
