/**
 * Which Python runs the server, and with which copy of the `celery_patterns` package.
 *
 * Order: the first entry of `celeryPatterns.interpreter`, else the Python extension's active
 * environment, else `python3` (`python` on Windows) on PATH. `celeryPatterns.importStrategy`
 * then picks the package: `fromEnvironment` uses the one installed with that interpreter and
 * falls back to the copy bundled in the .vsix; `useBundled` always uses the bundled copy, put
 * first on PYTHONPATH. No `vscode` import here, so the unit tests run in plain Node.
 */

import * as path from 'path';
import type { ImportStrategy } from './settings';

export type InterpreterSource = 'setting' | 'pythonExtension' | 'path';

export interface Interpreter {
  path: string;
  source: InterpreterSource;
}

export interface Variables {
  workspaceFolder?: string;
  userHome?: string;
  env: Record<string, string | undefined>;
}

/** `${workspaceFolder}`, `${userHome}`, `${env:NAME}` and a leading `~`, as VS Code users write them. */
export function substituteVariables(value: string, vars: Variables): string {
  let out = value.replace(/\$\{(workspaceFolder|userHome|env:([^}]+))\}/g, (whole, name: string, envName?: string) => {
    if (envName !== undefined) {
      return vars.env[envName] ?? '';
    }
    const replacement = name === 'workspaceFolder' ? vars.workspaceFolder : vars.userHome;
    return replacement ?? whole;
  });
  if (vars.userHome && (out === '~' || out.startsWith('~/') || out.startsWith('~\\'))) {
    out = path.join(vars.userHome, out.slice(1));
  }
  // A relative path such as `.venv/bin/python` is relative to the workspace folder;
  // a bare name such as `python3` is looked up on PATH.
  if (vars.workspaceFolder && !path.isAbsolute(out) && /[\\/]/.test(out)) {
    out = path.resolve(vars.workspaceFolder, out);
  }
  return out;
}

export function defaultPython(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'python' : 'python3';
}

export function chooseInterpreter(options: {
  configured: string[];
  pythonExtension?: string;
  platform: NodeJS.Platform;
  vars: Variables;
}): Interpreter {
  const first = options.configured[0]?.trim();
  if (first) {
    return { path: substituteVariables(first, options.vars), source: 'setting' };
  }
  if (options.pythonExtension) {
    return { path: options.pythonExtension, source: 'pythonExtension' };
  }
  return { path: defaultPython(options.platform), source: 'path' };
}

export function describeSource(interpreter: Interpreter): string {
  switch (interpreter.source) {
    case 'setting':
      return 'from the celeryPatterns.interpreter setting';
    case 'pythonExtension':
      return "the Python extension's active environment";
    case 'path':
      return 'found on PATH';
  }
}

/** Run with `<python> -c PROBE_SCRIPT`: prints one JSON line about the interpreter. */
export const PROBE_SCRIPT = [
  'import importlib.util, json, sys, sysconfig',
  'spec = importlib.util.find_spec("celery_patterns")',
  'print(json.dumps({"version": list(sys.version_info[:3]), "executable": sys.executable,',
  '  "soabi": sysconfig.get_config_var("SOABI"), "server": spec.origin if spec else None}))',
].join('\n');

export interface ProbeResult {
  version: [number, number, number];
  executable: string;
  soabi: string | null;
  /** Where `celery_patterns` is found in the interpreter's own environment, if it is. */
  server: string | null;
}

export function parseProbe(stdout: string): ProbeResult | undefined {
  const lines = stdout.trim().split(/\r?\n/);
  try {
    const data = JSON.parse(lines[lines.length - 1]);
    const version = data.version;
    if (!Array.isArray(version) || version.length < 2 || !version.every((n: unknown) => typeof n === 'number')) {
      return undefined;
    }
    return {
      version: [version[0], version[1], version[2] ?? 0],
      executable: typeof data.executable === 'string' ? data.executable : '',
      soabi: typeof data.soabi === 'string' ? data.soabi : null,
      server: typeof data.server === 'string' ? data.server : null,
    };
  } catch {
    return undefined;
  }
}

/** Written next to the bundled libraries by the build: what they were built for. */
export interface BundleInfo {
  python: string;
  soabi: string | null;
  platform?: string;
}

export const MIN_PYTHON: [number, number] = [3, 10];

export type LaunchPlan =
  | {
      ok: true;
      command: string;
      args: string[];
      env: Record<string, string | undefined>;
      serverFrom: 'environment' | 'bundled';
      notes: string[];
    }
  | { ok: false; problem: string };

export const SERVER_ARGS = ['-m', 'celery_patterns', 'lsp'];

export function planLaunch(options: {
  interpreter: Interpreter;
  strategy: ImportStrategy;
  probe: ProbeResult;
  /** Folder of the bundled libraries, when this build of the extension has one. */
  bundledLibs?: string;
  bundle?: BundleInfo;
  baseEnv: Record<string, string | undefined>;
  delimiter: string;
}): LaunchPlan {
  const { interpreter, probe } = options;
  const shown = `${interpreter.path} (${describeSource(interpreter)})`;
  const [major, minor] = probe.version;
  if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
    return {
      ok: false,
      problem: `Python ${probe.version.join('.')} at ${shown} is too old: celery-patterns needs Python ${MIN_PYTHON.join('.')} or newer.`,
    };
  }
  const command = interpreter.path;
  if (options.strategy === 'fromEnvironment' && probe.server) {
    return {
      ok: true,
      command,
      args: [...SERVER_ARGS],
      env: { ...options.baseEnv },
      serverFrom: 'environment',
      notes: [`Using celery-patterns installed in that environment (${probe.server}).`],
    };
  }
  const notes: string[] = [];
  if (options.strategy === 'fromEnvironment') {
    notes.push(`celery-patterns is not installed in ${shown}; using the copy bundled with the extension.`);
  }
  if (!options.bundledLibs) {
    return {
      ok: false,
      problem:
        options.strategy === 'fromEnvironment'
          ? `celery-patterns is not installed in ${shown}, and this build of the extension has no bundled copy. Install it there (\`python -m pip install celery-patterns\`) or set celeryPatterns.interpreter.`
          : 'celeryPatterns.importStrategy is "useBundled" but this build of the extension has no bundled copy of the server. Use "fromEnvironment".',
    };
  }
  const bundle = options.bundle;
  if (bundle?.soabi && probe.soabi && bundle.soabi !== probe.soabi) {
    return {
      ok: false,
      problem:
        `The bundled celery-patterns was built for ${bundle.soabi} (Python ${bundle.python}) but ${shown} is ${probe.soabi}. ` +
        'Install celery-patterns into that environment, or point celeryPatterns.interpreter at a matching Python.',
    };
  }
  const existing = options.baseEnv.PYTHONPATH;
  return {
    ok: true,
    command,
    args: [...SERVER_ARGS],
    env: {
      ...options.baseEnv,
      PYTHONPATH: existing ? `${options.bundledLibs}${options.delimiter}${existing}` : options.bundledLibs,
    },
    serverFrom: 'bundled',
    notes: [...notes, `Using the bundled celery-patterns in ${options.bundledLibs}.`],
  };
}

/** The one message shown when the interpreter cannot even be run. */
export function describeProbeFailure(interpreter: Interpreter, detail: string): string {
  const hint =
    interpreter.source === 'setting'
      ? 'Check the celeryPatterns.interpreter setting.'
      : 'Install Python 3.10+ or set celeryPatterns.interpreter to a Python interpreter.';
  return `Celery Patterns cannot run Python at ${interpreter.path} (${describeSource(interpreter)}): ${detail}. ${hint}`;
}
