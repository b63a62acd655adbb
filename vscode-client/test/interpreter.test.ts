import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  BUNDLED_LAUNCHER,
  chooseInterpreter,
  describeProbeFailure,
  Interpreter,
  interpreterTarget,
  isInside,
  ISOLATED,
  LaunchPlan,
  parseProbe,
  planLaunch,
  PROBE_ARGS,
  ProbeResult,
  substituteVariables,
} from '../src/interpreter';
import { RestartBudget } from '../src/restarts';

const vars = { workspaceFolder: '/ws/project', userHome: '/home/me', env: { VENV: '/opt/venv' } };
/** A Python for the tests that run one: the Makefile passes its PYTHON, else python3 on PATH. */
const PYTHON = [process.env.CELERY_PATTERNS_TEST_PYTHON ?? 'python3'].find((python) => spawnSync(python, ['--version']).status === 0);

describe('chooseInterpreter', () => {
  it('uses the first entry of celeryPatterns.interpreter', () => {
    const choice = chooseInterpreter({
      configured: ['/custom/python', '/other/python'],
      pythonExtension: '/ext/python',
      platform: 'linux',
      vars,
    });
    assert.deepEqual(choice, { path: '/custom/python', source: 'setting' });
  });

  it("falls back to the Python extension's active environment", () => {
    const choice = chooseInterpreter({ configured: [], pythonExtension: '/ext/python', platform: 'linux', vars });
    assert.deepEqual(choice, { path: '/ext/python', source: 'pythonExtension' });
  });

  it('treats an empty first entry as not set', () => {
    const choice = chooseInterpreter({ configured: ['  '], pythonExtension: '/ext/python', platform: 'linux', vars });
    assert.equal(choice.source, 'pythonExtension');
  });

  it('falls back to python3 on PATH (python on Windows) without either', () => {
    assert.deepEqual(chooseInterpreter({ configured: [], platform: 'linux', vars }), { path: 'python3', source: 'path' });
    assert.deepEqual(chooseInterpreter({ configured: [], platform: 'darwin', vars }), { path: 'python3', source: 'path' });
    assert.deepEqual(chooseInterpreter({ configured: [], platform: 'win32', vars }), { path: 'python', source: 'path' });
  });

  it('substitutes variables in the configured path', () => {
    const choice = chooseInterpreter({ configured: ['${workspaceFolder}/.venv/bin/python'], platform: 'linux', vars });
    assert.equal(choice.path, '/ws/project/.venv/bin/python');
  });

  it('in an untrusted workspace passes over interpreters inside it (user settings, Python extension)', () => {
    const untrustedFolders = ['/ws/project'];
    const fromSetting = chooseInterpreter({
      configured: ['${workspaceFolder}/.venv/bin/python'],
      pythonExtension: '/ws/project/.venv/bin/python3',
      platform: 'linux',
      vars,
      untrustedFolders,
    });
    assert.deepEqual(fromSetting, {
      path: 'python3',
      source: 'path',
      skipped: ['/ws/project/.venv/bin/python', '/ws/project/.venv/bin/python3'],
    });
    const relative = chooseInterpreter({ configured: ['venv/bin/python'], pythonExtension: '/usr/bin/python3.12', platform: 'linux', vars, untrustedFolders });
    assert.deepEqual(relative, { path: '/usr/bin/python3.12', source: 'pythonExtension', skipped: ['/ws/project/venv/bin/python'] });
  });

  it('in an untrusted workspace keeps interpreters outside it', () => {
    const choice = chooseInterpreter({
      configured: ['~/venvs/tools/bin/python'],
      platform: 'linux',
      vars,
      untrustedFolders: ['/ws/project', '/ws/other'],
    });
    assert.deepEqual(choice, { path: '/home/me/venvs/tools/bin/python', source: 'setting' });
    // A sibling whose name starts the same is not inside.
    assert.equal(chooseInterpreter({ configured: ['/ws/project2/bin/python'], platform: 'linux', vars, untrustedFolders: ['/ws/project'] }).source, 'setting');
  });
});

describe('isInside', () => {
  it('compares whole path components, on POSIX and Windows', () => {
    assert.equal(isInside('/ws/project/.venv/bin/python', '/ws/project'), true);
    assert.equal(isInside('/ws/project', '/ws/project'), true);
    assert.equal(isInside('/ws/project2/python', '/ws/project'), false);
    assert.equal(isInside('/ws/python', '/ws/project'), false);
    assert.equal(isInside('C:\\Repo\\.venv\\Scripts\\python.exe', 'c:\\repo', path.win32), true);
    assert.equal(isInside('D:\\Python\\python.exe', 'C:\\repo', path.win32), false);
  });
});

describe('substituteVariables', () => {
  it('replaces ${workspaceFolder}, ${userHome} and ${env:NAME}', () => {
    assert.equal(substituteVariables('${userHome}/py/bin/python', vars), '/home/me/py/bin/python');
    assert.equal(substituteVariables('${env:VENV}/bin/python', vars), '/opt/venv/bin/python');
    assert.equal(substituteVariables('${env:MISSING}python3', vars), 'python3');
  });

  it('expands a leading ~', () => {
    assert.equal(substituteVariables('~/venv/bin/python', vars), '/home/me/venv/bin/python');
  });

  it('resolves a relative path against the workspace folder but leaves a bare command name', () => {
    assert.equal(substituteVariables('.venv/bin/python', vars), '/ws/project/.venv/bin/python');
    assert.equal(substituteVariables('python3.12', vars), 'python3.12');
  });

  it('keeps ${workspaceFolder} when there is no folder', () => {
    assert.equal(substituteVariables('${workspaceFolder}/x', { env: {} }), '${workspaceFolder}/x');
  });
});

describe('parseProbe', () => {
  it('reads the last JSON line', () => {
    const probe = parseProbe(
      'some banner\n{"version": [3, 11, 7], "executable": "/v/bin/python", "implementation": "cpython", "platform": "linux", ' +
        '"machine": "x86_64", "build": "linux-x86_64", "bits": 64, "server": "/v/celery_patterns/__init__.py"}\n',
    );
    assert.deepEqual(probe, {
      version: [3, 11, 7],
      executable: '/v/bin/python',
      implementation: 'cpython',
      platform: 'linux',
      machine: 'x86_64',
      build: 'linux-x86_64',
      bits: 64,
      server: '/v/celery_patterns/__init__.py',
    });
  });

  it('returns undefined for output that is not from the probe', () => {
    assert.equal(parseProbe(''), undefined);
    assert.equal(parseProbe('Python 2.7.18'), undefined);
    assert.equal(parseProbe('{"version": "3.11"}'), undefined);
  });

  it('maps missing fields to empty values', () => {
    assert.deepEqual(parseProbe('{"version": [3, 12]}'), {
      version: [3, 12, 0],
      executable: '',
      implementation: '',
      platform: '',
      machine: '',
      build: '',
      bits: 0,
      server: null,
    });
  });
});

describe('interpreterTarget', () => {
  const target = (platform: string, machine: string, build: string, bits = 64) => interpreterTarget({ platform, machine, build, bits });

  it("names the interpreter's platform as VS Code names .vsix targets", () => {
    assert.equal(target('linux', 'x86_64', 'linux-x86_64'), 'linux-x64');
    assert.equal(target('linux', 'aarch64', 'linux-aarch64'), 'linux-arm64');
    assert.equal(target('darwin', 'arm64', 'macosx-11.0-arm64'), 'darwin-arm64');
    assert.equal(target('darwin', 'x86_64', 'macosx-10.9-universal2'), 'darwin-x64');
    assert.equal(target('win32', 'AMD64', 'win-amd64'), 'win32-x64');
    assert.equal(target('win32', 'ARM64', 'win-arm64'), 'win32-arm64');
  });

  it('goes by the interpreter, not the machine: 32-bit Pythons and Windows builds', () => {
    assert.equal(target('win32', 'AMD64', 'win32', 32), 'win32-ia32');
    assert.equal(target('linux', 'x86_64', 'linux-x86_64', 32), 'linux-ia32');
    assert.equal(target('linux', 'aarch64', 'linux-aarch64', 32), 'linux-armhf');
    assert.equal(target('freebsd14', 'amd64', 'freebsd-14.0-amd64'), 'freebsd14-x64');
  });
});

describe('planLaunch', () => {
  const interpreter: Interpreter = { path: '/v/bin/python', source: 'setting' };
  const probe: ProbeResult = {
    version: [3, 11, 7],
    executable: '/v/bin/python',
    implementation: 'cpython',
    platform: 'linux',
    machine: 'x86_64',
    build: 'linux-x86_64',
    bits: 64,
    server: '/v/lib/celery_patterns/__init__.py',
  };
  const base = {
    interpreter,
    probe,
    bundleDir: '/ext/bundled',
    bundle: { target: 'linux-x64', pythons: ['3.10', '3.11', '3.12', '3.13'], server: '0.1.0' },
  };
  const problem = (plan: LaunchPlan) => (plan.ok ? '' : plan.problem);

  it('fromEnvironment runs the installed server, isolated', () => {
    const plan = planLaunch({ ...base, strategy: 'fromEnvironment' });
    assert.ok(plan.ok);
    assert.equal(plan.command, '/v/bin/python');
    assert.deepEqual(plan.args, ['-I', '-m', 'celery_patterns', 'lsp']);
    assert.equal(plan.serverFrom, 'environment');
  });

  it('fromEnvironment falls back to the bundled copy for that CPython when the package is not installed', () => {
    const plan = planLaunch({ ...base, strategy: 'fromEnvironment', probe: { ...probe, server: null } });
    assert.ok(plan.ok);
    assert.equal(plan.serverFrom, 'bundled');
    assert.deepEqual(plan.args, ['-I', '-c', BUNDLED_LAUNCHER, path.join('/ext/bundled', 'libs/cp311'), 'lsp']);
    assert.match(plan.notes.join(' '), /not installed/);
  });

  it('useBundled runs the bundled copy even when one is installed, without PYTHONPATH (-I ignores it)', () => {
    const plan = planLaunch({ ...base, strategy: 'useBundled', probe: { ...probe, version: [3, 13, 1] } });
    assert.ok(plan.ok);
    assert.equal(plan.serverFrom, 'bundled');
    assert.deepEqual(plan.args.slice(0, 2), ['-I', '-c']);
    assert.equal(plan.args[3], path.join('/ext/bundled', 'libs/cp313'));
    assert.ok(!('env' in plan));
  });

  it('refuses a Python older than 3.10', () => {
    const plan = planLaunch({ ...base, strategy: 'fromEnvironment', probe: { ...probe, version: [3, 9, 18] } });
    assert.equal(plan.ok, false);
    assert.match(problem(plan), /3\.9\.18.*too old.*3\.10/);
  });

  it('says how to install the server when nothing is installed and nothing is bundled', () => {
    const plan = planLaunch({ ...base, strategy: 'fromEnvironment', probe: { ...probe, server: null }, bundleDir: undefined, bundle: undefined });
    assert.equal(plan.ok, false);
    assert.match(problem(plan), /not installed in \/v\/bin\/python.*no bundled copy/);
    // celery-patterns is not on PyPI: the advice is an install that works today.
    assert.match(problem(plan), /pip install \/path\/to\/celery-patterns/);
    assert.doesNotMatch(problem(plan), /pip install celery-patterns/);
  });

  it('useBundled without a bundle is an error', () => {
    const plan = planLaunch({ ...base, strategy: 'useBundled', bundleDir: undefined, bundle: undefined });
    assert.equal(plan.ok, false);
    assert.match(problem(plan), /useBundled.*no bundled copy/);
  });

  it('refuses a bundle for another platform instead of starting a server that cannot import libcst', () => {
    const mac = { ...probe, server: null, platform: 'darwin', machine: 'arm64', build: 'macosx-11.0-arm64' };
    const plan = planLaunch({ ...base, strategy: 'fromEnvironment', probe: mac });
    assert.equal(plan.ok, false);
    assert.match(problem(plan), /bundled .* is for linux-x64, CPython 3\.10\/3\.11\/3\.12\/3\.13.*CPython 3\.11 on darwin-arm64/);
    assert.match(problem(plan), /pip install/);
  });

  it('refuses a bundle without libraries for this CPython version, or for another implementation', () => {
    const newer = planLaunch({ ...base, strategy: 'useBundled', probe: { ...probe, version: [3, 15, 0] } });
    assert.match(problem(newer), /CPython 3\.15 on linux-x64/);
    const pypy = planLaunch({ ...base, strategy: 'useBundled', probe: { ...probe, implementation: 'pypy' } });
    assert.match(problem(pypy), /pypy 3\.11 on linux-x64/);
  });

  it('a bundle for another platform does not matter when the environment has the server', () => {
    const plan = planLaunch({ ...base, strategy: 'fromEnvironment', probe: { ...probe, platform: 'win32', build: 'win-amd64' } });
    assert.ok(plan.ok);
    assert.equal(plan.serverFrom, 'environment');
  });

  it('in Restricted Mode says that trust is what brings the environment back', () => {
    const plan = planLaunch({ ...base, strategy: 'useBundled', restricted: true, bundleDir: undefined, bundle: undefined });
    assert.match(problem(plan), /Restricted Mode.*Trust the workspace/);
    const ok = planLaunch({ ...base, strategy: 'useBundled', restricted: true });
    assert.ok(ok.ok);
    assert.match(ok.notes.join(' '), /Restricted Mode/);
  });
});

// The probe and the launcher for real, with a Python: what a repository leaves in the working
// directory (json.py, celery_patterns/) must not be imported.
describe('Python in isolated mode', { skip: !PYTHON && 'no python3 (set CELERY_PATTERNS_TEST_PYTHON)' }, () => {
  const python = PYTHON as string;
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'celery-patterns-unit-'));
  const marker = path.join(repo, 'ran-repository-code');
  const trap = `open(${JSON.stringify(marker)}, "a").write(__name__ + "\\n")\n`;
  fs.writeFileSync(path.join(repo, 'json.py'), trap);
  fs.mkdirSync(path.join(repo, 'celery_patterns'));
  fs.writeFileSync(path.join(repo, 'celery_patterns', '__init__.py'), trap);
  fs.writeFileSync(path.join(repo, 'celery_patterns', '__main__.py'), trap);
  const libs = path.join(repo, '..', `${path.basename(repo)}-libs`);
  fs.mkdirSync(path.join(libs, 'celery_patterns'), { recursive: true });
  fs.writeFileSync(path.join(libs, 'celery_patterns', '__init__.py'), '');
  fs.writeFileSync(path.join(libs, 'celery_patterns', '__main__.py'), 'import json, sys; print(json.dumps({"argv": sys.argv[1:], "file": __file__}))\n');
  after(() => {
    fs.rmSync(repo, { recursive: true, force: true });
    fs.rmSync(libs, { recursive: true, force: true });
  });
  const run = (args: string[]) =>
    execFileSync(python, args, { cwd: repo, encoding: 'utf8', env: { ...process.env, PYTHONPATH: repo } });

  it('the probe ignores json.py and celery_patterns/ in the working directory and PYTHONPATH', () => {
    const probe = parseProbe(run(PROBE_ARGS));
    assert.ok(probe, 'the probe printed its JSON line');
    assert.ok(probe.version[0] === 3 && probe.bits > 0 && probe.platform !== '');
    assert.ok(probe.server === null || !isInside(probe.server, repo), `found ${probe.server}`);
    assert.equal(fs.existsSync(marker), false, 'repository code ran');
  });

  it('the bundled launcher runs the bundled package with the server arguments', () => {
    const out = JSON.parse(run([ISOLATED, '-c', BUNDLED_LAUNCHER, libs, 'lsp']));
    assert.deepEqual(out.argv, ['lsp']);
    assert.ok(isInside(out.file, libs), out.file);
    assert.equal(fs.existsSync(marker), false, 'repository code ran');
  });
});

describe('describeProbeFailure', () => {
  it('names the interpreter, where it came from and what to change', () => {
    const message = describeProbeFailure({ path: '/nope/python', source: 'setting' }, 'no such file');
    assert.match(message, /\/nope\/python/);
    assert.match(message, /celeryPatterns\.interpreter setting/);
    assert.match(message, /no such file/);
  });

  it('suggests installing Python when it was looked up on PATH', () => {
    assert.match(describeProbeFailure({ path: 'python3', source: 'path' }, 'no such file'), /Install Python 3\.10\+/);
  });
});

describe('RestartBudget', () => {
  it('allows three restarts within three minutes, then stops', () => {
    let now = 0;
    const budget = new RestartBudget(3, 180_000, () => now);
    assert.equal(budget.crashed(), true);
    now += 1000;
    assert.equal(budget.crashed(), true);
    now += 1000;
    assert.equal(budget.crashed(), true);
    now += 1000;
    assert.equal(budget.crashed(), false);
  });

  it('forgets crashes older than the window', () => {
    let now = 0;
    const budget = new RestartBudget(1, 1000, () => now);
    assert.equal(budget.crashed(), true);
    now += 5000;
    assert.equal(budget.crashed(), true);
    assert.equal(budget.recentCrashes, 1);
  });
});
