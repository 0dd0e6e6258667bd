import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The built CLI (`npm test` builds first) with a module-resolution hook that makes the optional
// drivers unfindable, as in a project that installed only Herald.
const bin = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'herald-no-driver-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hooks = join(dir, 'hooks.mjs');
writeFileSync(
  hooks,
  `const hidden = new Set(['pg', 'ioredis', '@nats-io/transport-node', '@nats-io/jetstream']);
export async function resolve(specifier, context, next) {
  if (hidden.has(specifier)) {
    const error = new Error("Cannot find package '" + specifier + "' imported from " + context.parentURL);
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}
`,
);
const register = join(dir, 'register.mjs');
writeFileSync(
  register,
  `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
);

function serve(log: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(
    process.execPath,
    ['--import', pathToFileURL(register).href, bin, 'serve', '--port', '0', '--log', log],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HERALD_DATA: join(dir, 'data') },
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

describe('herald serve without a backend driver installed', () => {
  it.each([
    ['postgres://127.0.0.1:5432/herald', 'the postgres log needs pg', 'npm install pg'],
    ['redis://127.0.0.1:6379', 'the redis log needs ioredis', 'npm install ioredis'],
    [
      'nats://127.0.0.1:4222',
      'the nats log needs @nats-io/transport-node and @nats-io/jetstream',
      'npm install @nats-io/transport-node @nats-io/jetstream',
    ],
  ])('--log %s says what to npm install', async (log, needs, command) => {
    const { code, output } = await serve(log);
    expect(code).toBe(1);
    expect(output).toContain(`herald: ${needs}`);
    expect(output).toContain(`run \`${command}\``);
    expect(output).not.toContain('Cannot find package');
  });
});
