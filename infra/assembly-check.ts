/**
 * What a synthesized cloud assembly holds for each Lambda, read back from the template and the
 * staged assets: its architecture, its asset directory, and the sharp it carries, with the ELF
 * machine of the native files. `problems` names every asset Lambda could not load as built: sharp
 * imported but not beside the bundle, or built for another OS or architecture.
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { type LambdaArchitecture, PLATFORMS } from './platform.ts';

export interface FunctionAsset {
  logicalId: string;
  architecture: LambdaArchitecture;
  handler: string;
  environment: Record<string, unknown>;
  assetDir: string;
  /** `@img/sharp-*` packages beside the bundle (none for a function that does not convert). */
  sharpPlatformPackages: string[];
  importsSharp: boolean;
}

export interface AssemblyReport {
  functions: FunctionAsset[];
  problems: string[];
}

interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

/** ELF e_machine of a file, or undefined when it is not ELF (a Mach-O or PE binary, say). */
export function elfMachine(file: string): number | undefined {
  const header = Buffer.alloc(20);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  if (header.subarray(0, 4).toString('latin1') !== '\x7fELF') return undefined;
  return header.readUInt16LE(18);
}

/** Native files (`*.node`, `*.so*`, `*.dylib`) under a directory. */
function nativeFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && /\.(node|dylib)$|\.so(\.\d+)*$/.test(entry.name)) {
      found.push(join(entry.parentPath, entry.name));
    }
  }
  return found;
}

export function checkAssembly(outdir: string, stackName = 'Cloudprint'): AssemblyReport {
  const template = JSON.parse(readFileSync(join(outdir, `${stackName}.template.json`), 'utf8')) as {
    Resources: Record<string, TemplateResource>;
  };
  const functions: FunctionAsset[] = [];
  const problems: string[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const props = resource.Properties ?? {};
    const key = (props.Code as { S3Key?: unknown } | undefined)?.S3Key;
    // CDK's own helper functions (log retention, custom resources) are not ours to check
    if (typeof key !== 'string' || !existsSync(join(outdir, `asset.${key.replace(/\.zip$/, '')}`))) continue;
    const assetDir = join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
    const architecture = ((props.Architectures as string[] | undefined)?.[0] ??
      'x86_64') as LambdaArchitecture;
    const platform = PLATFORMS[architecture];
    const imgDir = join(assetDir, 'node_modules', '@img');
    const sharpPlatformPackages = existsSync(imgDir)
      ? readdirSync(imgDir)
          .filter((name) => name.startsWith('sharp-'))
          .sort()
      : [];
    const bundle = ['index.mjs', 'index.js', 'index.cjs'].map((f) => join(assetDir, f)).find(existsSync);
    const importsSharp = bundle
      ? /(from\s*|import\s*\(\s*)["']sharp["']/.test(readFileSync(bundle, 'utf8'))
      : false;
    functions.push({
      logicalId,
      architecture,
      handler: String(props.Handler),
      environment:
        (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
      assetDir,
      sharpPlatformPackages,
      importsSharp,
    });

    const hasSharp = existsSync(join(assetDir, 'node_modules', 'sharp', 'package.json'));
    if (importsSharp && !hasSharp)
      problems.push(`${logicalId}: imports sharp but its asset has no node_modules/sharp`);
    if (!hasSharp) continue;
    const expected = [`sharp-${platform.sharp}`, `sharp-libvips-${platform.sharp}`].sort();
    if (JSON.stringify(sharpPlatformPackages) !== JSON.stringify(expected)) {
      problems.push(
        `${logicalId} (${architecture}): carries ${sharpPlatformPackages.join(', ')}, not ${expected.join(', ')}`,
      );
    }
    const natives = nativeFiles(join(assetDir, 'node_modules'));
    if (!natives.some((f) => f.endsWith('.node'))) problems.push(`${logicalId}: no sharp .node binary`);
    for (const file of natives) {
      const machine = elfMachine(file);
      if (machine !== platform.elfMachine) {
        problems.push(
          `${logicalId} (${architecture}): ${file.slice(assetDir.length + 1)} is ${machine === undefined ? 'not Linux ELF' : `ELF machine 0x${machine.toString(16)}`}`,
        );
      }
    }
  }
  if (functions.length === 0) problems.push(`no function assets in ${outdir}`);
  return { functions, problems };
}
