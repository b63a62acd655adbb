/**
 * The settings the server understands, read from the `celeryPatterns.*` configuration.
 *
 * The client only gives each value its type and default; what a code, a prefix or a severity
 * means is the server's business. No `vscode` import here, so the unit tests run in plain Node.
 */

export const SECTION = 'celeryPatterns';

/**
 * What the server accepts as initializationOptions, in workspace/didChangeConfiguration and as
 * the answer to workspace/configuration. `select` and `ignore` are null when the user set none,
 * so that those of `[tool.celery-patterns]` in pyproject.toml apply (a list replaces them).
 */
export interface ServerSettings {
  enable: boolean;
  select: string[] | null;
  ignore: string[] | null;
  severity: Record<string, string>;
  showSyntaxErrors: boolean;
  fixAll: boolean;
}

/** The keys (below `celeryPatterns.`) that are passed on to the server. */
export const SERVER_SETTING_KEYS = [
  'enable',
  'select',
  'ignore',
  'severity',
  'showSyntaxErrors',
  'fixAll',
] as const;

/** Keys that decide how the server process is started: a change needs a restart. */
export const LAUNCH_SETTING_KEYS = ['interpreter', 'importStrategy'] as const;

/**
 * Keys a repository must not set for a workspace that is not trusted: they name a program to
 * run or which copy of the server's code runs. package.json lists them as the
 * `restrictedConfigurations` of `capabilities.untrustedWorkspaces`.
 */
export const RESTRICTED_SETTING_KEYS = ['interpreter', 'importStrategy'] as const;

export const DEFAULTS: ServerSettings = {
  enable: true,
  select: null,
  ignore: null,
  severity: {},
  showSyntaxErrors: true,
  fixAll: true,
};

/** What `vscode.WorkspaceConfiguration.inspect` tells about one key (the part used here). */
export interface ConfigValues<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/** The part of `vscode.WorkspaceConfiguration` used here. */
export interface ConfigReader {
  get<T>(key: string): T | undefined;
  inspect?<T>(key: string): ConfigValues<T> | undefined;
}

function asBoolean(value: unknown, fallback: boolean): boolean {
  return typeof value === 'boolean' ? value : fallback;
}

function asStringList(value: unknown): string[] {
  if (typeof value === 'string') {
    value = [value];
  }
  if (!Array.isArray(value)) {
    return [];
  }
  const out: string[] = [];
  for (const item of value) {
    if (typeof item === 'string' && item.trim() !== '' && !out.includes(item.trim())) {
      out.push(item.trim());
    }
  }
  return out;
}

function asCodeList(value: unknown): string[] | null {
  const list = asStringList(value);
  return list.length > 0 ? list : null;
}

function asStringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return out;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (typeof item === 'string' && key.trim() !== '') {
      out[key.trim()] = item.trim();
    }
  }
  return out;
}

/** Settings as the server wants them: every key present, every value of the right type. */
export function readServerSettings(config: ConfigReader): ServerSettings {
  return {
    enable: asBoolean(config.get('enable'), DEFAULTS.enable),
    select: asCodeList(config.get('select')),
    ignore: asCodeList(config.get('ignore')),
    severity: asStringMap(config.get('severity')),
    showSyntaxErrors: asBoolean(config.get('showSyntaxErrors'), DEFAULTS.showSyntaxErrors),
    fixAll: asBoolean(config.get('fixAll'), DEFAULTS.fixAll),
  };
}

export type ImportStrategy = 'fromEnvironment' | 'useBundled';

/** How to start the server: which interpreter, and which copy of the package. */
export interface LaunchSettings {
  interpreter: string[];
  importStrategy: ImportStrategy;
  /** The workspace is not trusted: only the bundled server, no interpreter from it. */
  restricted: boolean;
  /** Restricted settings the workspace sets and that were not used (for the log). */
  ignored: string[];
}

/**
 * In a trusted workspace, the settings as VS Code merges them. In one that is not trusted,
 * the restricted keys come from the user settings only (whatever VS Code itself does with
 * `restrictedConfigurations`), and the server is the bundled one.
 */
export function readLaunchSettings(config: ConfigReader, trusted = true): LaunchSettings {
  if (trusted) {
    const strategy = config.get<string>('importStrategy');
    return {
      interpreter: asStringList(config.get('interpreter')),
      importStrategy: strategy === 'useBundled' ? 'useBundled' : 'fromEnvironment',
      restricted: false,
      ignored: [],
    };
  }
  const ignored: string[] = [];
  const userValue = (key: (typeof RESTRICTED_SETTING_KEYS)[number]): unknown => {
    const values = config.inspect?.(key);
    if (values?.workspaceValue !== undefined || values?.workspaceFolderValue !== undefined) {
      ignored.push(`${SECTION}.${key}`);
    }
    return values?.globalValue ?? values?.defaultValue;
  };
  const interpreter = asStringList(userValue('interpreter'));
  userValue('importStrategy'); // noted when the workspace sets it; the bundled server runs anyway
  return { interpreter, importStrategy: 'useBundled', restricted: true, ignored };
}

/** Sections under which the server asks for its settings with workspace/configuration. */
export const SERVER_SECTIONS = ['celery-patterns', SECTION];

export function isServerSection(section: string | undefined): boolean {
  return section !== undefined && SERVER_SECTIONS.includes(section);
}

/** True when both start the server the same way. */
export function sameLaunch(a: LaunchSettings, b: LaunchSettings | undefined): boolean {
  return (
    b !== undefined &&
    a.restricted === b.restricted &&
    a.importStrategy === b.importStrategy &&
    JSON.stringify(a.interpreter) === JSON.stringify(b.interpreter)
  );
}

/**
 * What to do after a configuration change: nothing, tell the server, or restart it.
 * `launchChanged` says whether the launch settings now differ from those the server was
 * started with: granting trust restarts the server and then also changes the settings.
 */
export function reactionToChange(
  affects: (key: string) => boolean,
  launchChanged: () => boolean = () => true,
): 'none' | 'notify' | 'restart' {
  if (LAUNCH_SETTING_KEYS.some((key) => affects(`${SECTION}.${key}`)) && launchChanged()) {
    return 'restart';
  }
  if (SERVER_SETTING_KEYS.some((key) => affects(`${SECTION}.${key}`))) {
    return 'notify';
  }
  return 'none';
}
