/**
 * Test support: the stack synthesized against small fixture handlers written to a temporary
 * directory (the real handlers are other people's work in progress), bundled by the same esbuild
 * settings as the real app. One synth per test file.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { App, type CfnElement, type CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import type { FunctionName } from './access.ts';
import { CloudprintStack, type CloudprintStackProps, PROJECT_ROOT } from './cloudprint-stack.ts';
import { CONVERTING_FUNCTIONS, entryModule, FUNCTION_NAMES } from './functions.ts';

/** The converting functions' fixtures import sharp like the real converter does; the rest import a builtin. */
function fixtureSource(name: FunctionName): string {
  if (CONVERTING_FUNCTIONS.has(name)) {
    return "import sharp from 'sharp';\nexport const handler = async () => ({ statusCode: 200, body: String(typeof sharp) });\n";
  }
  return `import { createHash } from 'node:crypto';\nexport const handler = async () => ({ statusCode: 200, body: createHash('sha256').update('${name}').digest('hex') });\n`;
}

/** Under the project root (NodejsFunction bundles only entries there), in git-ignored node_modules/.cache. */
export function writeFixtureHandlers(): string {
  const cache = join(PROJECT_ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'cloudprint-infra-'));
  for (const name of FUNCTION_NAMES) {
    const file = join(dir, 'functions', `${entryModule(name)}.ts`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, fixtureSource(name));
  }
  return join(dir, 'functions');
}

export interface Synthesized {
  app: App;
  stack: CloudprintStack;
  template: Template;
  outdir: string;
}

export interface SynthesizeOptions {
  /** Stack props over the test defaults. */
  props?: Omit<CloudprintStackProps, 'env' | 'functionsDir'>;
  /** The repository's own handlers instead of the fixtures (what `npm run synth` bundles). */
  realHandlers?: boolean;
  /** false: skip bundling (CDK's bundling-stacks context), for tests of the template alone. */
  bundle?: boolean;
}

export function synthesize(options: SynthesizeOptions = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'cloudprint-cdk-out-'));
  // the feature flags of cdk.json, so tests synthesize what `cdk synth` does
  const { context } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const app = new App({
    outdir,
    context: options.bundle === false ? { ...context, 'aws:cdk:bundling-stacks': [] } : context,
  });
  const functionsDir = options.realHandlers ? undefined : writeFixtureHandlers();
  try {
    const stack = new CloudprintStack(app, 'Cloudprint', {
      env: { account: '123456789012', region: 'eu-central-1' },
      ...(functionsDir ? { functionsDir } : {}),
      ...options.props,
    });
    const template = Template.fromStack(stack);
    app.synth();
    return { app, stack, template, outdir };
  } finally {
    if (functionsDir) rmSync(dirname(functionsDir), { recursive: true, force: true });
  }
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/**
 * Every action the function's role is allowed, per resource (the resolved CloudFormation value as
 * JSON). Statements merged by CDK's policy minimization are spread back out.
 */
export function allowedActions(synthesized: Synthesized, name: FunctionName): Map<string, Set<string>> {
  const { stack, template } = synthesized;
  const role = synthesized.stack.functions.byName[name].role;
  if (!role) throw new Error(`${name} has no role`);
  const roleRef = JSON.stringify(stack.resolve((role.node.defaultChild as CfnResource).ref));
  const allowed = new Map<string, Set<string>>();
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    const properties = policy.Properties as { Roles: unknown[]; PolicyDocument: { Statement: Statement[] } };
    if (!properties.Roles.some((ref) => JSON.stringify(ref) === roleRef)) continue;
    for (const statement of properties.PolicyDocument.Statement) {
      if (statement.Effect !== 'Allow') continue;
      const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
      for (const resource of resources) {
        const key = JSON.stringify(resource);
        const set = allowed.get(key) ?? new Set<string>();
        for (const action of actions) set.add(action);
        allowed.set(key, set);
      }
    }
  }
  return allowed;
}

/** The resolved form of a construct attribute (an ARN, a Ref), as allowedActions keys it. */
export function resolvedKey(synthesized: Synthesized, value: string): string {
  return JSON.stringify(synthesized.stack.resolve(value));
}

/** The logical id CloudFormation knows a construct's resource by. */
export function logicalId(synthesized: Synthesized, construct: IConstruct): string {
  return synthesized.stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** Removes the cloud assembly (a copy of the sharp layer and seven bundles) once a file is done. */
export function dispose(synthesized: Synthesized | undefined): void {
  if (synthesized) rmSync(synthesized.outdir, { recursive: true, force: true });
}

/**
 * The resources of `type` in a template, without CDK's own bucket-notifications handler (a Lambda CDK adds
 * for the upload-arrivals notification, infra/functions.ts): the tests about "every function" mean ours.
 */
export function ownResources(
  template: Template,
  type: string,
): Array<[string, ReturnType<Template['findResources']>[string]]> {
  return Object.entries(template.findResources(type)).filter(
    ([id]) => !id.startsWith('BucketNotificationsHandler'),
  );
}
