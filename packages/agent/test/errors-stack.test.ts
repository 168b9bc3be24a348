import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseFrame, parseStack, topAppFrame } from '../src/errors/stack.js';

const CWD = '/srv/app';
const require = createRequire(import.meta.url);
const PLAIN = join(import.meta.dirname, 'fixtures/errors/plain');
const plain = require(join(PLAIN, 'thrower.cjs')) as {
  makeWidget(size: number): unknown;
  loadLater(id: number): Promise<unknown>;
  viaEval(): unknown;
  mapped(list: number[]): unknown;
  deep(n: number): unknown;
};

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('did not throw');
}

describe('V8 frame formats', () => {
  test('function with a location in parentheses', () => {
    expect(parseFrame('handler (/srv/app/src/routes.js:12:7)', CWD)).toEqual({
      function: 'handler',
      filename: 'src/routes.js',
      abs_path: '/srv/app/src/routes.js',
      lineno: 12,
      colno: 7,
      library_frame: false,
    });
  });

  test('a bare location has no function', () => {
    const f = parseFrame('/srv/app/index.js:3:1', CWD);
    expect(f).toMatchObject({ function: null, filename: 'index.js', lineno: 3, colno: 1, library_frame: false });
  });

  test('async frames lose the async prefix, with or without a function', () => {
    expect(parseFrame('async getUser (/srv/app/db.js:40:5)', CWD)).toMatchObject({ function: 'getUser', filename: 'db.js', lineno: 40 });
    expect(parseFrame('async /srv/app/db.js:41:2', CWD)).toMatchObject({ function: null, filename: 'db.js', lineno: 41 });
    expect(parseFrame('async Promise.all (index 0)', CWD)).toMatchObject({ function: 'Promise.all', library_frame: true });
  });

  test('constructors, Object.<anonymous> and [as alias] keep their names', () => {
    expect(parseFrame('new Foo (/srv/app/foo.js:1:2)', CWD).function).toBe('new Foo');
    expect(parseFrame('Object.<anonymous> (/srv/app/main.js:9:9)', CWD).function).toBe('Object.<anonymous>');
    expect(parseFrame('Layer.handle [as handle_request] (/srv/app/x.js:1:1)', CWD).function).toBe('Layer.handle [as handle_request]');
  });

  test('node: internals and internal/ paths are library frames without a readable file', () => {
    const f = parseFrame('process.processTicksAndRejections (node:internal/process/task_queues:95:5)', CWD);
    expect(f).toEqual({
      function: 'process.processTicksAndRejections',
      filename: 'node:internal/process/task_queues',
      abs_path: 'node:internal/process/task_queues',
      lineno: 95,
      colno: 5,
      library_frame: true,
    });
    expect(parseFrame('Module._compile (internal/modules/cjs/loader.js:1063:30)', CWD).library_frame).toBe(true);
  });

  test('native and <anonymous> call sites are library frames with a placeholder file', () => {
    expect(parseFrame('Array.map (<anonymous>)', CWD)).toEqual({
      function: 'Array.map',
      filename: '<anonymous>',
      abs_path: '<anonymous>',
      library_frame: true,
    });
    expect(parseFrame('JSON.parse (native)', CWD)).toMatchObject({ filename: 'native', library_frame: true });
  });

  test('node_modules frames are library frames with their package, scoped or not', () => {
    expect(parseFrame('next (/srv/app/node_modules/express/lib/router/index.js:280:10)', CWD)).toMatchObject({
      filename: 'node_modules/express/lib/router/index.js',
      library_frame: true,
      module: 'express',
    });
    expect(parseFrame('x (/srv/app/node_modules/.pnpm/a@1/node_modules/@fastify/cors/index.js:1:1)', CWD).module).toBe('@fastify/cors');
  });

  test('file:// URLs of ES modules become paths', () => {
    expect(parseFrame('file:///srv/app/server.mjs:10:3', CWD)).toMatchObject({ filename: 'server.mjs', abs_path: '/srv/app/server.mjs', lineno: 10 });
    expect(parseFrame('start (file:///srv/app/a%20b/x.mjs:1:1)', CWD).abs_path).toBe('/srv/app/a b/x.mjs');
  });

  test('eval frames point at the line that called eval', () => {
    const f = parseFrame('eval (eval at compile (/srv/app/tpl.js:22:10), <anonymous>:1:57)', CWD);
    expect(f).toMatchObject({ function: 'eval', filename: 'tpl.js', lineno: 22, colno: 10, library_frame: false });
    const nested = parseFrame('eval (eval at a (eval at b (/srv/app/x.js:5:6), <anonymous>:1:1), <anonymous>:2:2)', CWD);
    expect(nested).toMatchObject({ filename: 'x.js', lineno: 5, colno: 6 });
  });

  test('files outside the working directory keep their absolute path; parentheses in paths survive', () => {
    expect(parseFrame('f (/opt/shared/lib.js:1:1)', CWD).filename).toBe('/opt/shared/lib.js');
    expect(parseFrame('f (/srv/app/copy (2)/x.js:4:5)', CWD)).toMatchObject({ function: 'f', filename: 'copy (2)/x.js', lineno: 4 });
    expect(parseFrame('f (/srv/application/x.js:1:1)', CWD).filename).toBe('/srv/application/x.js');
  });

  test('Windows-style paths still give a line and column', () => {
    expect(parseFrame('handler (C:\\app\\src\\routes.js:12:7)', CWD)).toMatchObject({ lineno: 12, colno: 7, abs_path: 'C:\\app\\src\\routes.js' });
  });

  test('header lines, including multi-line messages, are not frames; the limit is applied', () => {
    const stack = 'Error: line one\nline two\n    at a (/srv/app/a.js:1:1)\n    at b (/srv/app/b.js:2:2)\n    at c (/srv/app/c.js:3:3)';
    expect(parseStack(stack, 50, CWD).map((f) => f.function)).toEqual(['a', 'b', 'c']);
    expect(parseStack(stack, 2, CWD).map((f) => f.function)).toEqual(['a', 'b']);
    expect(parseStack('not a stack at all', 50, CWD)).toEqual([]);
  });
});

describe('stacks of real thrown errors', () => {
  const cwd = process.cwd();
  const rel = 'packages/agent/test/fixtures/errors/plain/thrower.cjs';

  test('a constructor that throws, called from a function', () => {
    const frames = parseStack(thrown(() => plain.makeWidget(-1)).stack!, 50, cwd);
    expect(frames[0]).toMatchObject({ function: 'new Widget', filename: rel, abs_path: join(PLAIN, 'thrower.cjs'), lineno: 7, colno: 25, library_frame: false });
    expect(frames[1]).toMatchObject({ function: 'Object.makeWidget', filename: rel, lineno: 13 });
  });

  test('an async function after an await', async () => {
    const err = (await plain.loadLater(7).catch((e: unknown) => e)) as Error;
    const frames = parseStack(err.stack!, 50, cwd);
    expect(frames[0]).toMatchObject({ function: 'Object.loadLater', filename: rel, lineno: 18, colno: 9 });
  });

  test('eval and Array.map frames', () => {
    const evalFrames = parseStack(thrown(() => plain.viaEval()).stack!, 50, cwd);
    expect(evalFrames[0]).toMatchObject({ function: 'evaluated', filename: rel, lineno: 22 });
    const mapFrames = parseStack(thrown(() => plain.mapped([1, 2, 3])).stack!, 50, cwd);
    expect(mapFrames.slice(0, 3)).toMatchObject([
      { function: null, filename: rel, lineno: 35, library_frame: false },
      { function: 'Array.map', filename: '<anonymous>', library_frame: true },
      { function: 'Object.mapped', lineno: 34 },
    ]);
  });

  test('an ES module frame is a path, not a URL', () => {
    const esm = require(join(PLAIN, 'thrower.mjs')) as { esmThrow(): void };
    const frames = parseStack(thrown(() => esm.esmThrow()).stack!, 50, cwd);
    expect(frames[0]).toMatchObject({ function: 'Module.esmThrow', filename: 'packages/agent/test/fixtures/errors/plain/thrower.mjs', lineno: 3, colno: 9 });
  });

  test('the blamed frame is the first app frame, past library frames', () => {
    const frames = parseStack(thrown(() => plain.mapped([3])).stack!, 50, cwd);
    expect(topAppFrame(frames)).toBe(frames[0]);
    const lib = [parseFrame('x (node:internal/a:1:1)', CWD), parseFrame('y (/srv/app/y.js:1:1)', CWD)];
    expect(topAppFrame(lib)?.function).toBe('y');
    expect(topAppFrame([lib[0]!])?.function).toBe('x');
    expect(topAppFrame([])).toBeNull();
  });
});
