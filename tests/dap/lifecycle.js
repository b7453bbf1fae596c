// The rest of a DAP session's life, with VS Code's DAP test client:
// over TCP (`cargo hotbreak dap --port 0`) on a scratch copy of the
// ticker: stopOnEntry, edit and continue on save (a good edit, one that
// does not compile), restart keeping the edit, terminate; then over stdio
// on examples/panics: the panic exception filter. Run by tests/dap.rs.
'use strict';
const { DebugClient } = require('@vscode/debugadapter-testsupport');
const assert = require('assert');
const cp = require('child_process');
const fs = require('fs');
const path = require('path');

const BIN = process.env.HOTBREAK_BIN;
const WORKSPACE = process.env.HOTBREAK_WORKSPACE;
const SCRATCH = process.env.HOTBREAK_SCRATCH;
const MAIN = path.join(SCRATCH, 'src/main.rs');
const step = (what) => console.log(`dap: ${what}`);
// Over TCP the client has no timeouts: a stop that never comes fails here.
setTimeout(() => {
  console.error('gave up after 20 minutes');
  process.exit(1);
}, 20 * 60 * 1000).unref();
const seen = [];

// Output events by category, and a way to wait for text in one.
function watchOutput(dc) {
  const text = { stdout: '', stderr: '', console: '' };
  let waiters = [];
  dc.on('output', (e) => {
    text[e.body.category] = (text[e.body.category] || '') + e.body.output;
    seen.push(`[${e.body.category}] ${e.body.output}`);
    waiters = waiters.filter((w) => !w());
  });
  const wait = (category, re, from = 0) =>
    new Promise((resolve) => {
      const check = () => {
        const m = re.exec(text[category].slice(from));
        if (m) resolve(m);
        return !!m;
      };
      if (!check()) waiters.push(check);
    });
  return { text, wait };
}

function lineIn(source, needle) {
  const at = source.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(at >= 0, needle);
  return at + 1;
}

async function overTcp() {
  const adapter = cp.spawn(BIN, ['dap', '--port', '0'], { cwd: SCRATCH, env: process.env, stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise((resolve, reject) => {
    let err = '';
    adapter.stderr.on('data', (d) => {
      err += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    adapter.on('exit', (code) => reject(new Error(`adapter exited ${code}: ${err}`)));
  });
  const dc = new DebugClient('unused', 'unused', 'hotbreak');
  await dc.start(port);
  const out = watchOutput(dc);
  const original = fs.readFileSync(MAIN, 'utf8');
  const first = lineIn(original, 'let ticks: u64');
  const push = lineIn(original, 'history.push(total);');

  await dc.initializeRequest();
  const initialized = dc.waitForEvent('initialized');
  await dc.launchRequest({ cwd: SCRATCH, args: ['100000'], stopOnEntry: true });
  await initialized;
  const entry = dc.waitForEvent('stopped');
  await dc.configurationDoneRequest();
  const e = await entry;
  assert.strictEqual(e.body.reason, 'entry');
  const threadId = e.body.threadId;
  const top = async () => (await dc.stackTraceRequest({ threadId })).body.stackFrames[0];
  assert.deepStrictEqual([(await top()).line, (await top()).name], [first, 'dap_edit::main']);
  assert.strictEqual(out.text.stdout, '', 'held at main: no tick yet');
  step(`over TCP port ${port}: stopOnEntry stopped at main's first line ${first}`);

  const set = await dc.setBreakpointsRequest({ source: { path: MAIN }, breakpoints: [{ line: push, condition: 'step % 40 == 0' }] });
  const bpId = set.body.breakpoints[0].id;
  let stop = dc.waitForEvent('stopped');
  await dc.continueRequest({ threadId });
  assert.strictEqual((await stop).body.reason, 'breakpoint');

  // Save an edit while stopped: a line above `tick` (the breakpoint moves
  // with its text) and `scale` multiplies by 7.
  const moved = dc.waitForEvent('breakpoint');
  const edited = original.replace('#[hotbreak::debuggable]\nfn tick', '// a line added above\n#[hotbreak::debuggable]\nfn tick').replace('let factor = 3;', 'let factor = 7;');
  fs.writeFileSync(MAIN, edited);
  await out.wait('console', /`scale` hot-patched in \d+ ms/);
  const m = await moved;
  assert.deepStrictEqual([m.body.breakpoint.id, m.body.breakpoint.line, m.body.breakpoint.verified], [bpId, push + 1, true]);
  stop = dc.waitForEvent('stopped');
  await dc.continueRequest({ threadId });
  assert.strictEqual((await stop).body.reason, 'breakpoint');
  assert.strictEqual((await top()).line, push + 1);
  const frameId = (await top()).id;
  const stepNow = Number((await dc.evaluateRequest({ expression: 'step', frameId, context: 'watch' })).body.result);
  const total = Number((await dc.evaluateRequest({ expression: 'total', frameId, context: 'watch' })).body.result);
  assert.strictEqual(total, 7 * stepNow, 'the edited `scale` runs');
  step(`edit and continue: saved while stopped, the breakpoint moved to ${push + 1}, step ${stepNow} total ${total}`);

  // A save that does not compile: rustc's error as output, the program
  // keeps its last good code.
  const errFrom = out.text.stderr.length;
  fs.writeFileSync(MAIN, edited.replace('let factor = 7;', 'let factor: u64 = "seven";'));
  const err = await out.wait('stderr', /src\/main\.rs:(\d+): error: mismatched types/, errFrom);
  assert.strictEqual(Number(err[1]), lineIn(edited, 'let factor = 7;'));
  await out.wait('stderr', /`scale` keeps running its last good code/, errFrom);
  step(`a save that does not compile: "${err[0]}" as output`);

  // Back to the good edit; restart: the new process runs it from tick 1.
  fs.writeFileSync(MAIN, edited);
  const patchedFrom = out.text.console.length;
  await out.wait('console', /`scale` hot-patched in/, patchedFrom);
  await dc.setBreakpointsRequest({ source: { path: MAIN }, breakpoints: [] });
  const stdoutFrom = out.text.stdout.length;
  const process2 = dc.waitForEvent('process');
  await dc.restartRequest({});
  const pid2 = (await process2).body.systemProcessId;
  await out.wait('stdout', /^tick 1 total 7\ntick 2 total 14\n/, stdoutFrom);
  step(`restart: a new process (pid ${pid2}) runs the edit from tick 1`);

  const terminated = dc.waitForEvent('terminated');
  await dc.terminateRequest({});
  await terminated;
  await dc.disconnectRequest({});
  const code = await new Promise((resolve) => (adapter.exitCode !== null ? resolve(adapter.exitCode) : adapter.on('exit', resolve)));
  assert.strictEqual(code, 0);
  try {
    process.kill(pid2, 0);
    assert.fail(`the program (pid ${pid2}) outlived terminate`);
  } catch (e) {
    assert.strictEqual(e.code, 'ESRCH');
  }
  step('terminate: the program is gone; disconnect: the adapter exits 0');
}

async function panics() {
  const source = fs.readFileSync(path.join(WORKSPACE, 'examples/panics/src/main.rs'), 'utf8');
  const dc = new DebugClient(BIN, 'dap', 'hotbreak', { cwd: WORKSPACE, env: process.env });
  dc.defaultTimeout = 15 * 60 * 1000;
  await dc.start();
  const out = watchOutput(dc);
  await dc.initializeRequest();
  const initialized = dc.waitForEvent('initialized');
  await dc.launchRequest({ cwd: WORKSPACE, package: 'panics', args: ['worker'] });
  await initialized;
  await dc.setExceptionBreakpointsRequest({ filters: ['panic'] });
  const stopped = dc.waitForEvent('stopped');
  const exited = dc.waitForEvent('exited');
  await dc.configurationDoneRequest();
  const s = await stopped;
  assert.strictEqual(s.body.reason, 'exception');
  assert.ok(/attempt to divide by zero/.test(s.body.text), s.body.text);
  const threads = (await dc.threadsRequest()).body.threads;
  assert.ok(threads.some((t) => t.id === s.body.threadId && t.name.startsWith('worker')), JSON.stringify(threads));
  const frames = (await dc.stackTraceRequest({ threadId: s.body.threadId })).body.stackFrames;
  assert.deepStrictEqual([frames[0].name, frames[0].line], ['panics::mean', lineIn(source, 'total / samples.len() as u32')]);
  const scopes = (await dc.scopesRequest({ frameId: frames[0].id })).body.scopes;
  const locals = (await dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
  assert.ok(locals.some((v) => v.name === 'samples' && v.value.includes('[]')), JSON.stringify(locals));
  assert.ok(/main: tick/.test(out.text.stdout), 'main runs on while the worker is stopped');
  step(`stdio: the panic filter stopped thread ${s.body.threadId} in ${frames[0].name} before it unwound: "${s.body.text}"`);
  await dc.continueRequest({ threadId: s.body.threadId });
  const x = await exited;
  assert.strictEqual(x.body.exitCode, 101);
  await out.wait('stderr', /panicked at .*attempt to divide by zero/s);
  step('continue: the panic goes on; exit 101 with std\'s message on stderr');
  await dc.disconnectRequest({});
  dc.stopAdapter();
}

async function testLaunch() {
  const dc = new DebugClient(BIN, 'dap', 'hotbreak', { cwd: WORKSPACE, env: process.env });
  dc.defaultTimeout = 15 * 60 * 1000;
  await dc.start();
  const out = watchOutput(dc);
  await dc.initializeRequest();
  const initialized = dc.waitForEvent('initialized');
  await dc.launchRequest({ cwd: WORKSPACE, package: 'ticker', test: true, testName: 'ticks_keep', env: { HOTBREAK_DAP_ENV: 'from-launch' } });
  await initialized;
  const set = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'ticks_keep_the_last_three' }] });
  const stopped = dc.waitForEvent('stopped');
  const exited = dc.waitForEvent('exited');
  await dc.configurationDoneRequest();
  const s = await stopped;
  assert.deepStrictEqual([s.body.reason, s.body.hitBreakpointIds], ['function breakpoint', [set.body.breakpoints[0].id]]);
  const frame = (await dc.stackTraceRequest({ threadId: s.body.threadId })).body.stackFrames[0];
  assert.strictEqual(frame.name, 'ticker::tests::ticks_keep_the_last_three');
  const env = await dc.evaluateRequest({ expression: 'std::env::var("HOTBREAK_DAP_ENV").unwrap()', frameId: frame.id, context: 'repl' });
  assert.strictEqual(env.body.result, '"from-launch"');
  await dc.continueRequest({ threadId: s.body.threadId });
  assert.strictEqual((await exited).body.exitCode, 0);
  assert.ok(/test tests::ticks_keep_the_last_three \.\.\. ok/.test(out.text.stdout), out.text.stdout);
  assert.ok(/1 passed; 0 failed/.test(out.text.stdout), out.text.stdout);
  step('a test launch (testName, env): stopped in the test by a function breakpoint, the env var read there, the test passes');
  await dc.disconnectRequest({});
  dc.stopAdapter();
}

overTcp()
  .then(panics)
  .then(testLaunch)
  .then(
    () => {
      console.log('dap lifecycle: 1 passed, 0 failed');
      process.exit(0);
    },
    (e) => {
      console.error(e && e.stack ? e.stack : e);
      console.error(`adapter output:\n${seen.join('')}`);
      process.exit(1);
    },
  );
