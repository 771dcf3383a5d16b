/**
 * The one machine architecture every Lambda runs on, and the sharp packages built for it.
 *
 * x86_64, not arm64: the sharp binary ships in a platform package npm installs only for the machine
 * that runs `npm ci` (@img/sharp-linux-x64 here and in CI). Building for arm64 would mean fetching
 * @img/sharp-linux-arm64 at synth time, so the build would no longer be offline and deterministic.
 * One architecture for all functions keeps them alike; the converter is the only native code.
 */
import { Architecture } from 'aws-cdk-lib/aws-lambda';

export const LAMBDA_ARCHITECTURE = Architecture.X86_64;

export const SHARP_PLATFORM = {
  /** sharp's own name for the platform: `@img/sharp-${name}` and `@img/sharp-libvips-${name}`. */
  name: 'linux-x64',
  /** ELF e_machine of binaries that run on LAMBDA_ARCHITECTURE (EM_X86_64). */
  elfMachine: 0x3e,
} as const;
