/**
 * The machine architecture the Lambdas run on, and the sharp packages built for it. One
 * architecture for all functions keeps them alike; the converter is the only native code.
 *
 * Default arm64 (Graviton): Lambda bills arm64 GB-seconds about 20% below x86_64 at list price
 * (eu-central-1: $0.0000133334 vs $0.0000166667), and nothing here depends on x86: the handlers are
 * JavaScript and sharp publishes the same libvips for linux-arm64. Speed on Lambda was not measured
 * (no AWS account); `-c architecture=x86_64` switches back if a measurement says otherwise.
 */
import { Architecture } from 'aws-cdk-lib/aws-lambda';

export const ARCHITECTURES = ['arm64', 'x86_64'] as const;
export type LambdaArchitecture = (typeof ARCHITECTURES)[number];

export const DEFAULT_ARCHITECTURE: LambdaArchitecture = 'arm64';

export interface Platform {
  lambda: Architecture;
  /** sharp's own name for the platform: `@img/sharp-${sharp}` and `@img/sharp-libvips-${sharp}`. */
  sharp: string;
  /** ELF e_machine of binaries that run on it (EM_AARCH64, EM_X86_64). */
  elfMachine: number;
  /** Node's process.arch on such a machine. */
  nodeArch: string;
}

export const PLATFORMS: Record<LambdaArchitecture, Platform> = {
  arm64: { lambda: Architecture.ARM_64, sharp: 'linux-arm64', elfMachine: 0xb7, nodeArch: 'arm64' },
  x86_64: { lambda: Architecture.X86_64, sharp: 'linux-x64', elfMachine: 0x3e, nodeArch: 'x64' },
};

/** A context or prop value as an architecture; anything else is a mistake worth stopping the synth for. */
export function parseArchitecture(value: unknown): LambdaArchitecture {
  if (value === undefined || value === null || value === '') return DEFAULT_ARCHITECTURE;
  if (typeof value === 'string' && (ARCHITECTURES as readonly string[]).includes(value)) {
    return value as LambdaArchitecture;
  }
  throw new Error(`architecture must be one of ${ARCHITECTURES.join(', ')}, not ${JSON.stringify(value)}`);
}
