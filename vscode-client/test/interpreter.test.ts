import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chooseInterpreter,
  describeProbeFailure,
  Interpreter,
  parseProbe,
  planLaunch,
  ProbeResult,
  SERVER_ARGS,
  substituteVariables,
} from '../src/interpreter';
import { RestartBudget } from '../src/restarts';

const vars = { workspaceFolder: '/ws/project', userHome: '/home/me', env: { VENV: '/opt/venv' } };

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
      'some banner\n{"version": [3, 11, 7], "executable": "/v/bin/python", "soabi": "cpython-311-x86_64-linux-gnu", "server": "/v/celery_patterns/__init__.py"}\n',
    );
    assert.deepEqual(probe, {
      version: [3, 11, 7],
      executable: '/v/bin/python',
      soabi: 'cpython-311-x86_64-linux-gnu',
      server: '/v/celery_patterns/__init__.py',
    });
  });

  it('returns undefined for output that is not from the probe', () => {
    assert.equal(parseProbe(''), undefined);
    assert.equal(parseProbe('Python 2.7.18'), undefined);
    assert.equal(parseProbe('{"version": "3.11"}'), undefined);
  });

  it('maps missing fields to null', () => {
    assert.deepEqual(parseProbe('{"version": [3, 12]}'), { version: [3, 12, 0], executable: '', soabi: null, server: null });
  });
});

describe('planLaunch', () => {
  const interpreter: Interpreter = { path: '/v/bin/python', source: 'setting' };
  const probe: ProbeResult = {
    version: [3, 11, 7],
    executable: '/v/bin/python',
    soabi: 'cpython-311-x86_64-linux-gnu',
    server: '/v/lib/celery_patterns/__init__.py',
  };
  const base = {
    interpreter,
    probe,
    bundledLibs: '/ext/bundled/libs',
    bundle: { python: '3.11', soabi: 'cpython-311-x86_64-linux-gnu' },
    baseEnv: { PATH: '/usr/bin' } as Record<string, string | undefined>,
    delimiter: ':',
  };

  it('fromEnvironment runs the installed server with the environment untouched', () => {
    const plan = planLaunch({ ...base, strategy: 'fromEnvironment' });
    assert.ok(plan.ok);
    assert.equal(plan.command, '/v/bin/python');
    assert.deepEqual(plan.args, ['-m', 'celery_patterns', 'lsp']);
    assert.equal(plan.serverFrom, 'environment');
    assert.deepEqual(plan.env, { PATH: '/usr/bin' });
  });

  it('fromEnvironment falls back to the bundled copy when the package is not installed', () => {
    const plan = planLaunch({ ...base, strategy: 'fromEnvironment', probe: { ...probe, server: null } });
    assert.ok(plan.ok);
    assert.equal(plan.serverFrom, 'bundled');
    assert.equal(plan.env.PYTHONPATH, '/ext/bundled/libs');
    assert.match(plan.notes.join(' '), /not installed/);
  });

  it('useBundled puts the bundled libraries first on PYTHONPATH, even when installed', () => {
    const plan = planLaunch({ ...base, strategy: 'useBundled', baseEnv: { PYTHONPATH: '/mine' } });
    assert.ok(plan.ok);
    assert.equal(plan.serverFrom, 'bundled');
    assert.equal(plan.env.PYTHONPATH, '/ext/bundled/libs:/mine');
    assert.deepEqual(plan.args, SERVER_ARGS);
  });

  it('uses the platform path delimiter', () => {
    const plan = planLaunch({ ...base, strategy: 'useBundled', baseEnv: { PYTHONPATH: 'C:\\mine' }, delimiter: ';', bundledLibs: 'C:\\ext\\libs' });
    assert.ok(plan.ok);
    assert.equal(plan.env.PYTHONPATH, 'C:\\ext\\libs;C:\\mine');
  });

  it('refuses a Python older than 3.10', () => {
    const plan = planLaunch({ ...base, strategy: 'fromEnvironment', probe: { ...probe, version: [3, 9, 18] } });
    assert.equal(plan.ok, false);
    assert.match(!plan.ok ? plan.problem : '', /3\.9\.18.*too old.*3\.10/);
  });

  it('says what to do when nothing is installed and nothing is bundled', () => {
    const plan = planLaunch({ ...base, strategy: 'fromEnvironment', probe: { ...probe, server: null }, bundledLibs: undefined });
    assert.equal(plan.ok, false);
    assert.match(!plan.ok ? plan.problem : '', /not installed in \/v\/bin\/python.*pip install celery-patterns/);
  });

  it('useBundled without a bundle is an error', () => {
    const plan = planLaunch({ ...base, strategy: 'useBundled', bundledLibs: undefined });
    assert.equal(plan.ok, false);
  });

  it('refuses a bundle built for another Python (libcst is a compiled extension)', () => {
    const plan = planLaunch({ ...base, strategy: 'useBundled', probe: { ...probe, soabi: 'cpython-312-x86_64-linux-gnu' } });
    assert.equal(plan.ok, false);
    assert.match(!plan.ok ? plan.problem : '', /cpython-311.*cpython-312/);
  });

  it('a bundle mismatch does not matter when the environment has the server', () => {
    const plan = planLaunch({ ...base, strategy: 'fromEnvironment', probe: { ...probe, soabi: 'cpython-312-x86_64-linux-gnu' } });
    assert.ok(plan.ok);
    assert.equal(plan.serverFrom, 'environment');
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
