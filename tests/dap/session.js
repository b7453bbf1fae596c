// Drives `cargo hotbreak dap` with VS Code's own DAP test client
// (@vscode/debugadapter-testsupport) through a whole session on
// examples/ticker. Run by tests/dap.rs; prints each step and figures,
// exits non-zero on the first failed assertion.
'use strict';
const { DebugClient } = require('@vscode/debugadapter-testsupport');
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const BIN = process.env.HOTBREAK_BIN;
const WORKSPACE = process.env.HOTBREAK_WORKSPACE;
const TICKS = 1500;
const TICKER = path.join(WORKSPACE, 'examples/ticker/src/main.rs');
const SOURCE = fs.readFileSync(TICKER, 'utf8').split('\n');
const lineOf = (needle) => {
  const at = SOURCE.findIndex((l) => l.includes(needle));
  assert.ok(at >= 0, `${needle} not in ${TICKER}`);
  return at + 1;
};
const AT = lineOf('let total = scale(reading.step);');
const PUSH = lineOf('history.push(total);');
const FACTOR = lineOf('let factor = 3;');
const SCALE_FN = lineOf('fn scale(x: u64)');

const step = (what) => console.log(`dap: ${what}`);
// Over TCP the client has no timeouts: a stop that never comes fails here.
setTimeout(() => {
  console.error('gave up after 20 minutes');
  process.exit(1);
}, 20 * 60 * 1000).unref();

let consoleSeen = [];
async function main() {
  const dc = new DebugClient(BIN, 'dap', 'hotbreak', { cwd: WORKSPACE, env: process.env }, false);
  // Builds take minutes on a busy machine; stops come when they come.
  dc.defaultTimeout = 15 * 60 * 1000;
  const stdout = [];
  const consoleLines = consoleSeen;
  let outputWaiters = [];
  dc.on('output', (e) => {
    if (e.body.category === 'stdout') stdout.push(e.body.output);
    else if (e.body.category === 'console') consoleLines.push(e.body.output);
    outputWaiters = outputWaiters.filter((w) => !w());
  });
  const waitForOutput = (re) =>
    new Promise((resolve) => {
      const check = () => (re.test(stdout.join('')) ? (resolve(), true) : false);
      if (!check()) outputWaiters.push(check);
    });
  const breakpointEvents = [];
  let breakpointWaiters = [];
  dc.on('breakpoint', (e) => {
    breakpointEvents.push({ ...e.body.breakpoint, at: Date.now() });
    breakpointWaiters = breakpointWaiters.filter((w) => !w());
  });
  // Resolves with the first event for adapter id `id` (a new breakpoint
  // gets a new id, so an earlier event never answers for it); the event
  // may come before the response has been read.
  const breakpointEvent = (id) =>
    new Promise((resolve) => {
      const check = () => {
        const hit = breakpointEvents.find((b) => b.id === id);
        if (hit) resolve(hit);
        return !!hit;
      };
      if (!check()) breakpointWaiters.push(check);
    });

  await dc.start();
  const init = await dc.initializeRequest();
  const caps = init.body;
  for (const c of ['supportsConfigurationDoneRequest', 'supportsConditionalBreakpoints', 'supportsHitConditionalBreakpoints', 'supportsLogPoints', 'supportsFunctionBreakpoints', 'supportsEvaluateForHovers', 'supportsSetVariable', 'supportsTerminateRequest', 'supportsRestartRequest']) {
    assert.strictEqual(caps[c], true, c);
  }
  assert.deepStrictEqual(caps.exceptionBreakpointFilters.map((f) => f.filter), ['panic', 'uncaught']);
  step('initialize: capabilities as declared');

  // Launch: the build happens inside `launch`; `initialized` follows.
  const initialized = dc.waitForEvent('initialized');
  const exited = dc.waitForEvent('exited');
  const terminated = dc.waitForEvent('terminated');
  const built = Date.now();
  await dc.launchRequest({ cwd: WORKSPACE, package: 'ticker', args: [String(TICKS)] });
  await initialized;
  // cargo's progress while building comes as console output.
  assert.ok(consoleLines.some((l) => /^\s*(Compiling|Finished) /.test(l)), consoleLines.join(''));
  step(`launch: built and started in ${Date.now() - built} ms, cargo's progress as output`);
  await dc.setExceptionBreakpointsRequest({ filters: [] });
  await dc.configurationDoneRequest();
  await waitForOutput(/tick 3 total 9\n/);
  step('configurationDone: the program runs and its stdout arrives as output events');

  // While it runs: a conditional breakpoint and a log point in `tick`.
  const setAt = Date.now();
  const set = await dc.setBreakpointsRequest({
    source: { path: TICKER },
    breakpoints: [
      { line: AT, condition: 'step % 7 == 0' },
      { line: PUSH, logMessage: 'pushed {total} at {step}' },
    ],
  });
  const [condId, logId] = set.body.breakpoints.map((b) => b.id);
  for (const b of set.body.breakpoints) {
    assert.strictEqual(b.verified, false, 'unverified until armed');
    assert.ok(b.message, 'an unverified breakpoint says why');
  }
  const stopped = dc.waitForEvent('stopped');
  const [cond, log] = await Promise.all([breakpointEvent(condId), breakpointEvent(logId)]);
  assert.strictEqual(cond.verified, true, JSON.stringify(cond));
  assert.strictEqual(cond.line, AT);
  assert.strictEqual(log.verified, true, JSON.stringify(log));
  step(`setBreakpoints -> verified by breakpoint events: the condition in ${cond.at - setAt} ms, then the log point in ${log.at - setAt} ms`);

  const stop = await stopped;
  assert.strictEqual(stop.body.reason, 'breakpoint');
  assert.deepStrictEqual(stop.body.hitBreakpointIds, [condId]);
  const threadId = stop.body.threadId;
  const threads = await dc.threadsRequest();
  assert.ok(threads.body.threads.some((t) => t.id === threadId), 'the stopped thread is listed');

  const stackAt = async (line, name) => {
    const st = await dc.stackTraceRequest({ threadId });
    const top = st.body.stackFrames[0];
    assert.strictEqual(top.source.path, TICKER);
    assert.strictEqual(top.line, line, `top frame ${JSON.stringify(top)}`);
    assert.ok(top.name.includes(name), top.name);
    return st.body.stackFrames;
  };
  const frames = await stackAt(AT, 'tick');
  assert.ok(frames.some((f) => f.name === 'ticker::main'), frames.map((f) => f.name).join(', '));
  step(`stopped at ${path.basename(TICKER)}:${AT}; stackTrace ${frames.map((f) => f.name).join(' <- ')}`);

  const scopes = await dc.scopesRequest({ frameId: frames[0].id });
  assert.strictEqual(scopes.body.scopes[0].name, 'Locals');
  const locals = (await dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference })).body.variables;
  const byName = (vars, name) => {
    const v = vars.find((x) => x.name === name);
    assert.ok(v, `${name} in ${JSON.stringify(vars)}`);
    return v;
  };
  const stepValue = Number(byName(locals, 'step').value);
  assert.strictEqual(stepValue % 7, 0, 'the condition held');
  assert.strictEqual(byName(locals, 'step').variablesReference, 0, 'a number does not expand');
  const reading = byName(locals, 'reading');
  assert.ok(reading.variablesReference > 0, 'a struct expands');
  const fields = (await dc.variablesRequest({ variablesReference: reading.variablesReference })).body.variables;
  assert.deepStrictEqual(fields.map((f) => f.name), ['step', 'value', 'tags', 'origin']);
  const origin = byName(fields, 'origin');
  assert.ok(origin.variablesReference > 0, 'the nested struct expands');
  const xy = (await dc.variablesRequest({ variablesReference: origin.variablesReference })).body.variables;
  assert.deepStrictEqual(xy.map((f) => [f.name, f.value]), [['x', String(stepValue)], ['y', String(-stepValue)]]);
  step(`scopes/variables: step = ${stepValue}, reading.origin expanded lazily to x, y`);

  const ev = await dc.evaluateRequest({ expression: 'reading.step * 10 + scale(1)', frameId: frames[0].id, context: 'repl' });
  assert.strictEqual(ev.body.result, String(stepValue * 10 + 3));
  const hover = await dc.evaluateRequest({ expression: 'reading.origin', frameId: frames[0].id, context: 'hover' });
  assert.ok(hover.body.variablesReference > 0, 'a hovered struct expands');
  await assert.rejects(dc.evaluateRequest({ expression: 'scale(2)', frameId: frames[0].id, context: 'hover' }), /hovers show locals/);
  await assert.rejects(dc.evaluateRequest({ expression: 'scale', frameId: frames[0].id, context: 'hover' }), /hovers show locals/);
  await assert.rejects(dc.evaluateRequest({ expression: 'nope + 1', frameId: frames[0].id, context: 'repl' }), /nope/);
  step('evaluate: a compiled expression, a hover, a refused hover call, a compile error');

  // setVariable on an element of `history: &mut Vec<u64>` (steps > 1 have one).
  const history = byName(locals, 'history');
  assert.ok(history.variablesReference > 0, history.value);
  const set0 = await dc.setVariableRequest({ variablesReference: history.variablesReference, name: '[0]', value: '7' });
  assert.strictEqual(set0.body.value, '7');
  const again = await dc.evaluateRequest({ expression: 'history[0]', frameId: frames[0].id, context: 'watch' });
  assert.strictEqual(again.body.result, '7');
  step('setVariable: history[0] = 7, read back');

  // stepIn enters scale, next moves in it, stepOut returns, next lands in tick.
  const stepTo = async (request, line, name) => {
    const s = dc.waitForEvent('stopped');
    await request({ threadId });
    const e = await s;
    assert.strictEqual(e.body.reason, 'step');
    await stackAt(line, name);
  };
  await stepTo((a) => dc.stepInRequest(a), FACTOR, 'scale');
  await stepTo((a) => dc.nextRequest(a), FACTOR + 1, 'scale');
  await stepTo((a) => dc.stepOutRequest(a), FACTOR + 1, 'scale');
  await stepTo((a) => dc.nextRequest(a), PUSH, 'tick');
  step('stepIn/next/stepOut/next: scale and back into tick');

  // A function breakpoint arms at the function's first line.
  const fset = await dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'scale', hitCondition: '>= 1' }] });
  const fbp = await breakpointEvent(fset.body.breakpoints[0].id);
  assert.strictEqual(fbp.verified, true, JSON.stringify(fbp));
  assert.ok(fbp.line > SCALE_FN && fbp.line <= FACTOR, JSON.stringify(fbp));
  await dc.setFunctionBreakpointsRequest({ breakpoints: [] });
  const bad = await dc.setBreakpointsRequest({ source: { path: TICKER }, breakpoints: [{ line: AT, condition: 'step % 7 == 0' }, { line: PUSH, logMessage: 'pushed {total} at {step}' }, { line: 1 }] });
  const badEvent = await breakpointEvent(bad.body.breakpoints[2].id);
  assert.strictEqual(badEvent.verified, false);
  assert.ok(/main\.rs:1/.test(badEvent.message), badEvent.message);
  step(`function breakpoint armed at line ${fbp.line}; a breakpoint on a comment line: "${badEvent.message.split('\n')[0]}"`);

  // `:COMMAND` in the console is a line-mode command: a watch, shown as a
  // scope from the next stop.
  const watch = await dc.evaluateRequest({ expression: ':watch reading.step * 10', frameId: frames[0].id, context: 'repl' });
  assert.ok(/watching `reading.step \* 10` in `tick`/.test(watch.body.result), watch.body.result);
  await assert.rejects(dc.evaluateRequest({ expression: ':frobnicate', context: 'repl' }), /unknown command `frobnicate`/);

  // Continue: the log point logs each tick until the condition holds again.
  const next = dc.waitForEvent('stopped');
  await dc.continueRequest({ threadId });
  const again7 = await next;
  assert.deepStrictEqual([again7.body.reason, again7.body.hitBreakpointIds], ['breakpoint', [condId]]);
  const nextLocals = await dc.scopesRequest({ frameId: (await stackAt(AT, 'tick'))[0].id });
  const vars = (await dc.variablesRequest({ variablesReference: nextLocals.body.scopes[0].variablesReference })).body.variables;
  assert.strictEqual(Number(byName(vars, 'step').value), stepValue + 7);
  const watches = nextLocals.body.scopes.find((sc) => sc.name === 'Watches');
  assert.ok(watches, JSON.stringify(nextLocals.body.scopes));
  const shown = (await dc.variablesRequest({ variablesReference: watches.variablesReference })).body.variables;
  assert.deepStrictEqual(shown.map((v) => [v.name, v.value]), [['reading.step * 10', String((stepValue + 7) * 10)]]);
  const logged = consoleLines.filter((l) => l.startsWith('pushed ')).map((l) => l.trim());
  assert.ok(logged.includes(`pushed ${3 * (stepValue + 6)} at ${stepValue + 6}`), logged.join(', '));
  step(`:watch, continue: stopped again at step ${stepValue + 7} with the Watches scope; log point said ${logged.length} times`);

  // Remove every breakpoint and let the program finish.
  await dc.setBreakpointsRequest({ source: { path: TICKER }, breakpoints: [] });
  await dc.continueRequest({ threadId });
  const exit = await exited;
  await terminated;
  assert.strictEqual(exit.body.exitCode, 0);
  const out = stdout.join('');
  const expected = Array.from({ length: TICKS }, (_, i) => `tick ${i + 1} total ${3 * (i + 1)}\n`).join('') + `done after ${TICKS} ticks\n`;
  assert.strictEqual(out, expected, 'the program output, whole and in order');
  const logs = consoleLines.filter((l) => l.startsWith('pushed '));
  assert.ok(logs.length > 0, 'log point messages');
  for (const l of logs) {
    const [, total, at] = l.match(/^pushed (\d+) at (\d+)\n$/);
    assert.strictEqual(Number(total), 3 * Number(at), l);
  }
  step(`exited 0: ${TICKS} ticks of output intact; ${logs.length} log point messages`);
  await dc.disconnectRequest({});
  dc.stopAdapter();
}

main().then(
  () => {
    console.log('dap session: 1 passed, 0 failed');
    process.exit(0);
  },
  (e) => {
    console.error(e && e.stack ? e.stack : e);
    // What the adapter said (build progress, session notes, log points).
    console.error(`adapter console:\n${consoleSeen.join('')}`);
    process.exit(1);
  },
);
