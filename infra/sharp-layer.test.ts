import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './cloudprint-stack.ts';
import { ESM_REQUIRE_BANNER, FUNCTION_NAMES } from './functions.ts';
import { SHARP_PLATFORM } from './platform.ts';
import { sharpLayerPackages } from './sharp-layer.ts';
import { dispose, logicalId, type Synthesized, synthesize } from './testing.ts';

let s: Synthesized;
// a synth bundles seven functions: allow for a busy machine
beforeAll(() => {
  s = synthesize();
}, 300_000);
afterAll(() => dispose(s));

/** The staged directory in the cloud assembly behind a resource's asset (S3Key `<hash>.zip`). */
function assetDir(resource: Record<string, unknown> | undefined, codeProperty: 'Content' | 'Code'): string {
  const code = resource?.[codeProperty] as { S3Key: string } | undefined;
  if (!code) throw new Error(`no ${codeProperty}`);
  const dir = join(s.outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
  if (!existsSync(dir)) throw new Error(`${dir} was not staged`);
  return dir;
}

function elfMachine(file: string): number {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  return header.readUInt16LE(18);
}

const layerProps = () =>
  s.template.findResources('AWS::Lambda::LayerVersion')[logicalId(s, s.stack.sharpLayer.layer)]?.Properties;
const functionProps = (name: (typeof FUNCTION_NAMES)[number]) =>
  s.template.findResources('AWS::Lambda::Function')[logicalId(s, s.stack.functions.byName[name])]?.Properties;

describe('sharp layer', () => {
  it('takes sharp, its runtime dependencies and only the linux-x64 platform packages', () => {
    const names = sharpLayerPackages(join(PROJECT_ROOT, 'node_modules')).map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'sharp',
        'detect-libc',
        'semver',
        '@img/colour',
        '@img/sharp-linux-x64',
        '@img/sharp-libvips-linux-x64',
      ]),
    );
    expect(names.filter((n) => n.startsWith('@img/sharp-') && !n.endsWith(SHARP_PLATFORM.name))).toEqual([]);
  });

  it('ships the native binary and libvips for the functions architecture (x86-64 ELF)', () => {
    const dir = assetDir(layerProps(), 'Content');
    const modules = join(dir, 'nodejs', 'node_modules', '@img');
    const binaries = readdirSync(join(modules, `sharp-${SHARP_PLATFORM.name}`, 'lib')).filter((f) =>
      f.endsWith('.node'),
    );
    expect(binaries).toHaveLength(1);
    expect(binaries[0]).toMatch(/^sharp-linux-x64(-[\d.]+)?\.node$/);
    const libvips = readdirSync(join(modules, `sharp-libvips-${SHARP_PLATFORM.name}`, 'lib')).filter((f) =>
      /^libvips-cpp\.so/.test(f),
    );
    expect(libvips).toHaveLength(1);

    expect(elfMachine(join(modules, `sharp-${SHARP_PLATFORM.name}`, 'lib', binaries[0] ?? ''))).toBe(
      SHARP_PLATFORM.elfMachine,
    );
    expect(elfMachine(join(modules, `sharp-libvips-${SHARP_PLATFORM.name}`, 'lib', libvips[0] ?? ''))).toBe(
      SHARP_PLATFORM.elfMachine,
    );
    expect(layerProps()).toMatchObject({
      CompatibleArchitectures: ['x86_64'],
      CompatibleRuntimes: ['nodejs24.x'],
    });
    expect(functionProps('print-request')).toMatchObject({ Architectures: ['x86_64'] });
  });

  it('is attached to print-request only', () => {
    const layerRef = { Ref: logicalId(s, s.stack.sharpLayer.layer) };
    for (const name of FUNCTION_NAMES) {
      expect(functionProps(name)?.Layers, name).toEqual(name === 'print-request' ? [layerRef] : undefined);
    }
  });

  it('runs on its own: sharp loads from the staged layer and converts an image', () => {
    const dir = assetDir(layerProps(), 'Content');
    const entry = join(dir, 'nodejs', 'node_modules', 'sharp', 'dist', 'index.mjs');
    const script = `
      const { default: sharp } = await import(${JSON.stringify(entry)});
      const png = await sharp({ create: { width: 4, height: 2, channels: 3, background: '#f00' } }).png().toBuffer();
      const jpeg = await sharp(png).jpeg().toBuffer({ resolveWithObject: true });
      console.log(JSON.stringify({ format: jpeg.info.format, width: jpeg.info.width }));
    `;
    // cwd outside the repository: nothing may come from the project's node_modules
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ format: 'jpeg', width: 4 });
  });
});

describe('function bundles', () => {
  it('are ESM with the require banner and a source map', () => {
    for (const name of FUNCTION_NAMES) {
      const dir = assetDir(functionProps(name), 'Code');
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith(ESM_REQUIRE_BANNER), name).toBe(true);
      expect(existsSync(join(dir, 'index.mjs.map')), name).toBe(true);
    }
  });

  it('leave sharp external in print-request (loaded from the layer) and never inline it', () => {
    for (const name of FUNCTION_NAMES) {
      const code = readFileSync(join(assetDir(functionProps(name), 'Code'), 'index.mjs'), 'utf8');
      expect(/from\s*"sharp"/.test(code), name).toBe(name === 'print-request');
      expect(code, name).not.toContain('sharp-linux-x64');
    }
  });
});

describe('the web app bundle', () => {
  it('carries web/ and the QR encoder beside the app function, where functions/app/assets.ts looks', () => {
    // Act
    const dir = assetDir(functionProps('app'), 'Code');
    // Assess
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(['index.mjs', 'web']));
    expect(readFileSync(join(dir, 'web', 'index.html'), 'utf8')).toContain('<title>cloudprint</title>');
    expect(readFileSync(join(dir, 'web', 'vendor', 'qrcode.mjs'), 'utf8')).toContain('export default qrcode');
    expect(existsSync(join(dir, 'web', 'app', 'icon-192.png'))).toBe(true);
    expect(existsSync(join(assetDir(functionProps('terminal'), 'Code'), 'web'))).toBe(false);
  });
});
