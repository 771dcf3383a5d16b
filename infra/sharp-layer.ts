/**
 * A Lambda layer carrying sharp and its linux-x64 native binary, assembled from the local
 * node_modules: no network, no Docker, the same bytes on every build. Functions mark `sharp`
 * external and load it from /opt/nodejs/node_modules (Lambda resolves ESM imports there too).
 */
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import { Code, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { LAMBDA_ARCHITECTURE, SHARP_PLATFORM } from './platform.ts';

export interface LayerPackage {
  name: string;
  version: string;
  dir: string;
}

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const PLATFORM_PACKAGES = new Set([
  `@img/sharp-${SHARP_PLATFORM.name}`,
  `@img/sharp-libvips-${SHARP_PLATFORM.name}`,
]);

/**
 * sharp, its runtime dependencies, and of its optional (per-platform) dependencies only the two
 * for the Lambda's platform. Read from package.json files, so a sharp upgrade needs no change here.
 */
export function sharpLayerPackages(nodeModulesDir: string): LayerPackage[] {
  const found = new Map<string, LayerPackage>();
  const visit = (name: string): void => {
    if (found.has(name)) return;
    const dir = join(nodeModulesDir, name);
    const manifestPath = join(dir, 'package.json');
    if (!existsSync(manifestPath)) {
      throw new Error(`${name} is missing from ${nodeModulesDir}: run npm ci on a linux-x64 machine`);
    }
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as PackageJson;
    found.set(name, { name, version: manifest.version, dir });
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency);
    for (const optional of Object.keys(manifest.optionalDependencies ?? {})) {
      if (PLATFORM_PACKAGES.has(optional)) visit(optional);
    }
  };
  visit('sharp');
  for (const required of PLATFORM_PACKAGES) {
    if (!found.has(required)) throw new Error(`sharp does not depend on ${required}`);
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Copies the packages into `<outDir>/nodejs/node_modules/<name>`, the layer path Node.js functions search. */
export function stageSharpLayer(packages: readonly LayerPackage[], outDir: string): void {
  for (const pkg of packages) {
    const target = join(outDir, 'nodejs', 'node_modules', pkg.name);
    mkdirSync(target, { recursive: true });
    cpSync(pkg.dir, target, { recursive: true, dereference: true });
  }
}

export interface SharpLayerProps {
  nodeModulesDir: string;
}

export class SharpLayer extends Construct {
  readonly layer: LayerVersion;
  readonly packages: readonly LayerPackage[];

  constructor(scope: Construct, id: string, props: SharpLayerProps) {
    super(scope, id);
    const packages = sharpLayerPackages(props.nodeModulesDir);
    this.packages = packages;
    const versions = packages.map((pkg) => `${pkg.name}@${pkg.version}`).join(' ');
    const code = Code.fromAsset(join(props.nodeModulesDir, 'sharp'), {
      // the package versions name the content exactly; hashing 20 MB of binaries would add nothing
      assetHashType: AssetHashType.CUSTOM,
      assetHash: `${SHARP_PLATFORM.name} ${versions}`,
      bundling: {
        // never used: the local hook always succeeds or throws, so no Docker is needed
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/busybox'),
        local: {
          tryBundle(outputDir: string): boolean {
            stageSharpLayer(packages, outputDir);
            return true;
          },
        },
      },
    });
    this.layer = new LayerVersion(this, 'Layer', {
      code,
      compatibleRuntimes: [Runtime.NODEJS_24_X],
      compatibleArchitectures: [LAMBDA_ARCHITECTURE],
      description: `sharp for ${SHARP_PLATFORM.name}: ${versions}`,
    });
  }
}
