/**
 * Which Python runs the server, and with which copy of the `celery_patterns` package.
 *
 * Order: the first entry of `celeryPatterns.interpreter`, else the Python extension's active
 * environment, else `python3` (`python` on Windows) on PATH. `celeryPatterns.importStrategy`
 * then picks the package: `fromEnvironment` uses the one installed with that interpreter and
 * falls back to the copy bundled in the .vsix; `useBundled` always uses the bundled copy.
 *
 * Python always runs isolated (`-I`: no PYTHON* variables, no user site-packages, neither the
 * working directory nor a script's directory on sys.path), so nothing in the opened repository
 * (a `json.py`, a `celery_patterns/` folder) can stand in for the probe's or the server's
 * imports; the bundled copy is put on sys.path by the `-c` launcher, as -I ignores PYTHONPATH.
 * No `vscode` import here, so the unit tests run in plain Node.
 */

import * as path from 'path';
import type { ImportStrategy } from './settings';

export type InterpreterSource = 'setting' | 'pythonExtension' | 'path';

export interface Interpreter {
  path: string;
  source: InterpreterSource;
  /** Interpreters passed over because they lie inside an untrusted workspace. */
  skipped?: string[];
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

/** True when `file` is `folder` or below it. */
export function isInside(file: string, folder: string, pathApi: path.PlatformPath = path): boolean {
  const relative = pathApi.relative(folder, file);
  return relative === '' || (!relative.startsWith('..') && !pathApi.isAbsolute(relative));
}

export function chooseInterpreter(options: {
  configured: string[];
  pythonExtension?: string;
  platform: NodeJS.Platform;
  vars: Variables;
  /**
   * Folders of a workspace that is not trusted: an interpreter inside one of them (a `.venv`
   * that came with the repository, `${workspaceFolder}/...` in the user settings) is the
   * repository's code, so it is passed over for the next choice.
   */
  untrustedFolders?: string[];
}): Interpreter {
  const untrusted = options.untrustedFolders ?? [];
  const skipped: string[] = [];
  const usable = (candidate: string) => {
    if (untrusted.some((folder) => path.isAbsolute(candidate) && isInside(candidate, folder))) {
      skipped.push(candidate);
      return false;
    }
    return true;
  };
  const withSkipped = (interpreter: Interpreter): Interpreter =>
    skipped.length > 0 ? { ...interpreter, skipped } : interpreter;
  const first = options.configured[0]?.trim();
  if (first) {
    const configured = substituteVariables(first, options.vars);
    if (usable(configured)) {
      return { path: configured, source: 'setting' };
    }
  }
  if (options.pythonExtension && usable(options.pythonExtension)) {
    return withSkipped({ path: options.pythonExtension, source: 'pythonExtension' });
  }
  return withSkipped({ path: defaultPython(options.platform), source: 'path' });
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

/** Python's flag for isolated mode; see the comment at the top. */
export const ISOLATED = '-I';

/** Run with `<python> -I -c PROBE_SCRIPT`: prints one JSON line about the interpreter. */
export const PROBE_SCRIPT = [
  'import importlib.util, json, platform, sys, sysconfig',
  'spec = importlib.util.find_spec("celery_patterns")',
  'print(json.dumps({"version": list(sys.version_info[:3]), "executable": sys.executable,',
  '  "implementation": sys.implementation.name, "platform": sys.platform, "machine": platform.machine(),',
  '  "build": sysconfig.get_platform(), "bits": 64 if sys.maxsize > 2**32 else 32,',
  '  "server": spec.origin if spec else None}))',
].join('\n');

export const PROBE_ARGS = [ISOLATED, '-c', PROBE_SCRIPT];

export interface ProbeResult {
  version: [number, number, number];
  executable: string;
  /** `sys.implementation.name`: the bundled libraries are compiled for CPython. */
  implementation: string;
  /** `sys.platform`, `platform.machine()`, `sysconfig.get_platform()` and pointer size. */
  platform: string;
  machine: string;
  build: string;
  bits: number;
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
    const text = (value: unknown) => (typeof value === 'string' ? value : '');
    return {
      version: [version[0], version[1], version[2] ?? 0],
      executable: text(data.executable),
      implementation: text(data.implementation),
      platform: text(data.platform),
      machine: text(data.machine),
      build: text(data.build),
      bits: typeof data.bits === 'number' ? data.bits : 0,
      server: typeof data.server === 'string' ? data.server : null,
    };
  } catch {
    return undefined;
  }
}

/**
 * The interpreter's platform in VS Code's target names (linux-x64, darwin-arm64, win32-x64...),
 * which is what a platform-specific .vsix is built for. It is the interpreter's, not VS Code's:
 * an x64 Python under Rosetta needs x64 wheels on an arm64 Mac.
 */
export function interpreterTarget(probe: Pick<ProbeResult, 'platform' | 'machine' | 'build' | 'bits'>): string {
  const os = probe.platform.startsWith('linux') ? 'linux' : probe.platform;
  // On Windows the build says what the interpreter is; platform.machine() says what Windows is.
  const windows: Record<string, string> = { 'win-amd64': 'x64', 'win-arm64': 'arm64', win32: 'ia32' };
  if (os === 'win32') {
    return `win32-${windows[probe.build] ?? probe.build}`;
  }
  const machine = probe.machine.toLowerCase();
  let arch = machine;
  if (machine === 'x86_64' || machine === 'amd64') {
    arch = probe.bits === 32 ? 'ia32' : 'x64';
  } else if (machine === 'aarch64' || machine === 'arm64') {
    arch = probe.bits === 32 ? 'armhf' : 'arm64';
  }
  return `${os}-${arch}`;
}

/** bundled/bundle.json, written by scripts/bundle-python.sh: what the bundled server runs on. */
export interface BundleInfo {
  /** VS Code target name, e.g. linux-x64. */
  target: string;
  /** CPython minor versions with a folder of libraries, e.g. ["3.10", "3.11"]. */
  pythons: string[];
  /** Version of the bundled celery-patterns. */
  server?: string;
}

/** Where the libraries for one CPython minor version live inside bundled/. */
export function bundledLibsFolder(version: [number, number, number]): string {
  return `libs/cp${version[0]}${version[1]}`;
}

export const MIN_PYTHON: [number, number] = [3, 10];

/** How to install the server into the user's environment (it is not on PyPI). */
export const INSTALL_HINT =
  'Install it there from a clone of celery-patterns (`python -m pip install /path/to/celery-patterns`) or from a built wheel (`python -m pip install celery_patterns-*.whl`)';

export type LaunchPlan =
  | {
      ok: true;
      command: string;
      args: string[];
      serverFrom: 'environment' | 'bundled';
      notes: string[];
    }
  | { ok: false; problem: string };

export const SERVER_ARGS = [ISOLATED, '-m', 'celery_patterns', 'lsp'];

/**
 * Runs the bundled copy: `python -I -c BUNDLED_LAUNCHER LIBS lsp` puts LIBS first on sys.path
 * and runs `celery_patterns` as `python -m` would, with `lsp` as its argument.
 */
export const BUNDLED_LAUNCHER =
  'import runpy, sys; sys.path.insert(0, sys.argv.pop(1)); runpy.run_module("celery_patterns", run_name="__main__", alter_sys=True)';

export function planLaunch(options: {
  interpreter: Interpreter;
  strategy: ImportStrategy;
  probe: ProbeResult;
  /** The extension's bundled/ folder and its bundle.json, when this build has them. */
  bundleDir?: string;
  bundle?: BundleInfo;
  /** Restricted Mode: why the environment's copy is not used, for the messages. */
  restricted?: boolean;
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
      serverFrom: 'environment',
      notes: [`Using celery-patterns installed in that environment (${probe.server}).`],
    };
  }
  const notes: string[] = [];
  if (options.restricted) {
    notes.push('Restricted Mode: using the server bundled with the extension until the workspace is trusted.');
  } else if (options.strategy === 'fromEnvironment') {
    notes.push(`celery-patterns is not installed in ${shown}; using the copy bundled with the extension.`);
  }
  const why = options.restricted
    ? 'In Restricted Mode only the server bundled with the extension runs'
    : options.strategy === 'fromEnvironment'
      ? `celery-patterns is not installed in ${shown}`
      : 'celeryPatterns.importStrategy is "useBundled"';
  const whatToDo = options.restricted
    ? 'Trust the workspace to use the server installed in your environment.'
    : options.strategy === 'fromEnvironment'
      ? `${INSTALL_HINT}, or set celeryPatterns.interpreter to a Python that has it.`
      : `Use "fromEnvironment" and ${INSTALL_HINT[0].toLowerCase()}${INSTALL_HINT.slice(1)}.`;
  const bundle = options.bundle;
  if (!options.bundleDir || !bundle) {
    return { ok: false, problem: `${why}, and this build of the extension has no bundled copy of the server. ${whatToDo}` };
  }
  // libcst is compiled: the bundled libraries run only on the platform and CPython versions
  // they were downloaded for. Say so rather than start a server that cannot import them.
  const target = interpreterTarget(probe);
  const python = `${major}.${minor}`;
  const built = `${bundle.target}, CPython ${bundle.pythons.join('/')}`;
  if (target !== bundle.target || probe.implementation !== 'cpython' || !bundle.pythons.includes(python)) {
    const implementation = probe.implementation === 'cpython' ? 'CPython' : probe.implementation || 'Python';
    return {
      ok: false,
      problem:
        `${why}, and the server bundled with this build of the extension is for ${built}, ` +
        `not ${shown}, which is ${implementation} ${python} on ${target}. ${whatToDo}`,
    };
  }
  const libs = path.join(options.bundleDir, bundledLibsFolder(probe.version));
  return {
    ok: true,
    command,
    args: [ISOLATED, '-c', BUNDLED_LAUNCHER, libs, 'lsp'],
    serverFrom: 'bundled',
    notes: [...notes, `Using the bundled celery-patterns${bundle.server ? ` ${bundle.server}` : ''} in ${libs}.`],
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
