import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ConfigReader,
  ConfigValues,
  DEFAULTS,
  isServerSection,
  reactionToChange,
  readLaunchSettings,
  readServerSettings,
  RESTRICTED_SETTING_KEYS,
  sameLaunch,
  SERVER_SETTING_KEYS,
} from '../src/settings';
import { StaticFileWatching, WATCHED_FILES } from '../src/watching';
import * as fs from 'node:fs';
import * as path from 'node:path';

function config(values: Record<string, unknown>): ConfigReader {
  return { get: <T>(key: string) => values[key] as T | undefined };
}

describe('readServerSettings (initialization options)', () => {
  it('gives the defaults when nothing is set', () => {
    assert.deepEqual(readServerSettings(config({})), DEFAULTS);
  });

  it('passes every server setting with the keys the server expects', () => {
    const settings = readServerSettings(
      config({
        enable: false,
        select: ['CEL0'],
        ignore: ['CEL002'],
        severity: { CEL002: 'warning' },
        showSyntaxErrors: true,
        fixAll: false,
        interpreter: ['/usr/bin/python3'],
        importStrategy: 'useBundled',
      }),
    );
    assert.deepEqual(settings, {
      enable: false,
      select: ['CEL0'],
      ignore: ['CEL002'],
      severity: { CEL002: 'warning' },
      showSyntaxErrors: true,
      fixAll: false,
    });
    assert.deepEqual(Object.keys(settings).sort(), [...SERVER_SETTING_KEYS].sort());
  });

  it('keeps launch-only settings out of what the server receives', () => {
    const settings = readServerSettings(config({ interpreter: ['x'], importStrategy: 'useBundled' })) as unknown as Record<string, unknown>;
    assert.equal(settings.interpreter, undefined);
    assert.equal(settings.importStrategy, undefined);
  });

  it('repairs wrongly typed values instead of sending them on', () => {
    const settings = readServerSettings(
      config({
        enable: 'yes',
        select: 'CEL002',
        ignore: [3, ' CEL001 ', '', 'CEL001'],
        severity: ['CEL002'],
        showSyntaxErrors: 1,
        fixAll: null,
      }),
    );
    assert.equal(settings.enable, true);
    assert.deepEqual(settings.select, ['CEL002']);
    assert.deepEqual(settings.ignore, ['CEL001']);
    assert.deepEqual(settings.severity, {});
    assert.equal(settings.showSyntaxErrors, true);
    assert.equal(settings.fixAll, true);
  });

  it('sends null, not an empty list, for select and ignore left empty (pyproject.toml applies)', () => {
    const settings = readServerSettings(config({ select: [], ignore: ['', '  '] }));
    assert.equal(settings.select, null);
    assert.equal(settings.ignore, null);
    assert.ok('select' in settings && 'ignore' in settings);
  });

  it('drops severity entries that are not strings', () => {
    const settings = readServerSettings(config({ severity: { CEL002: 'hint', CEL003: 2, ' ': 'error' } }));
    assert.deepEqual(settings.severity, { CEL002: 'hint' });
  });

  it('leaves the meaning of codes and severities to the server', () => {
    const settings = readServerSettings(config({ select: ['ALL'], severity: { cel002: 'High' } }));
    assert.deepEqual(settings.select, ['ALL']);
    assert.deepEqual(settings.severity, { cel002: 'High' });
  });
});

describe('readLaunchSettings', () => {
  it('defaults to fromEnvironment and no interpreter', () => {
    assert.deepEqual(readLaunchSettings(config({})), { interpreter: [], importStrategy: 'fromEnvironment', restricted: false, ignored: [] });
  });

  it('reads useBundled and the interpreter list', () => {
    assert.deepEqual(readLaunchSettings(config({ interpreter: ['/venv/bin/python', '-X'], importStrategy: 'useBundled' })), {
      interpreter: ['/venv/bin/python', '-X'],
      importStrategy: 'useBundled',
      restricted: false,
      ignored: [],
    });
  });

  it('treats an unknown strategy as fromEnvironment', () => {
    assert.equal(readLaunchSettings(config({ importStrategy: 'bogus' })).importStrategy, 'fromEnvironment');
  });
});

describe('readLaunchSettings in an untrusted workspace', () => {
  /** What WorkspaceConfiguration.inspect returns: each layer separately; get() merges them. */
  function layered(layers: Record<string, ConfigValues<unknown>>): ConfigReader {
    return {
      get: <T>(key: string) => {
        const l = layers[key] ?? {};
        return (l.workspaceFolderValue ?? l.workspaceValue ?? l.globalValue ?? l.defaultValue) as T | undefined;
      },
      inspect: <T>(key: string) => layers[key] as ConfigValues<T> | undefined,
    };
  }
  const repositorySets = layered({
    interpreter: { defaultValue: [], globalValue: ['/home/me/py/bin/python'], workspaceValue: ['./evil.sh'] },
    importStrategy: { defaultValue: 'fromEnvironment', workspaceFolderValue: 'fromEnvironment' },
  });

  it('trusted: the workspace settings apply', () => {
    assert.deepEqual(readLaunchSettings(repositorySets, true).interpreter, ['./evil.sh']);
  });

  it('untrusted: the interpreter comes from the user settings only, the server is the bundled one', () => {
    assert.deepEqual(readLaunchSettings(repositorySets, false), {
      interpreter: ['/home/me/py/bin/python'],
      importStrategy: 'useBundled',
      restricted: true,
      ignored: ['celeryPatterns.interpreter', 'celeryPatterns.importStrategy'],
    });
  });

  it('untrusted: the default when the user set nothing, whatever the workspace says', () => {
    const onlyWorkspace = layered({ interpreter: { defaultValue: [], workspaceFolderValue: ['/tmp/x/python'] } });
    assert.deepEqual(readLaunchSettings(onlyWorkspace, false).interpreter, []);
  });

  it('untrusted: nothing from get() when inspect is not available', () => {
    assert.deepEqual(readLaunchSettings(config({ interpreter: ['./evil.sh'] }), false).interpreter, []);
  });
});

describe('isServerSection', () => {
  it('answers workspace/configuration for the server under both spellings', () => {
    assert.equal(isServerSection('celery-patterns'), true);
    assert.equal(isServerSection('celeryPatterns'), true);
    assert.equal(isServerSection('python'), false);
    assert.equal(isServerSection(undefined), false);
  });
});

describe('reactionToChange', () => {
  const changed = (...keys: string[]) => (key: string) => keys.includes(key);

  it('restarts the server when the interpreter or import strategy changes', () => {
    assert.equal(reactionToChange(changed('celeryPatterns.interpreter')), 'restart');
    assert.equal(reactionToChange(changed('celeryPatterns.importStrategy', 'celeryPatterns.select')), 'restart');
  });

  it('notifies the server when one of its settings changes', () => {
    for (const key of SERVER_SETTING_KEYS) {
      assert.equal(reactionToChange(changed(`celeryPatterns.${key}`)), 'notify', key);
    }
  });

  it('does not restart when the launch settings come out the same (trust granted: restarted already)', () => {
    assert.equal(reactionToChange(changed('celeryPatterns.interpreter'), () => false), 'none');
    assert.equal(reactionToChange(changed('celeryPatterns.interpreter', 'celeryPatterns.select'), () => false), 'notify');
    assert.equal(reactionToChange(changed('celeryPatterns.interpreter'), () => true), 'restart');
  });

  it('compares launch settings by what starts the server', () => {
    const launch = readLaunchSettings(config({ interpreter: ['/v/bin/python'] }));
    assert.equal(sameLaunch(launch, readLaunchSettings(config({ interpreter: ['/v/bin/python'] }))), true);
    assert.equal(sameLaunch(launch, undefined), false);
    assert.equal(sameLaunch(launch, readLaunchSettings(config({ interpreter: ['/w/bin/python'] }))), false);
    assert.equal(sameLaunch(launch, { ...launch, importStrategy: 'useBundled' }), false);
    assert.equal(sameLaunch(launch, { ...launch, restricted: true, ignored: ['x'] }), false);
    assert.equal(sameLaunch(launch, { ...launch, ignored: ['celeryPatterns.interpreter'] }), true);
  });

  it('ignores other changes (trace is handled by the language client)', () => {
    assert.equal(reactionToChange(changed('editor.fontSize')), 'none');
    assert.equal(reactionToChange(changed('celeryPatterns.trace.server')), 'none');
  });
});

describe('package.json contributes every setting the client reads', () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
  const properties = manifest.contributes.configuration.properties;

  for (const key of [...SERVER_SETTING_KEYS, 'interpreter', 'importStrategy', 'trace.server']) {
    it(`declares celeryPatterns.${key}`, () => {
      assert.ok(properties[`celeryPatterns.${key}`], key);
    });
  }

  it('declares defaults that read as the server defaults', () => {
    const declared: Record<string, unknown> = {};
    for (const key of SERVER_SETTING_KEYS) {
      declared[key] = properties[`celeryPatterns.${key}`].default;
    }
    assert.deepEqual(readServerSettings(config(declared)), DEFAULTS);
  });

  it('activates on Python files and pyproject.toml', () => {
    assert.ok(manifest.activationEvents.includes('onLanguage:python'));
    assert.ok(manifest.activationEvents.some((event: string) => event.startsWith('workspaceContains:') && event.endsWith('pyproject.toml')));
  });

  it('contributes the four commands', () => {
    const commands = manifest.contributes.commands.map((c: { command: string }) => c.command).sort();
    assert.deepEqual(commands, ['celeryPatterns.checkWorkspace', 'celeryPatterns.fixAll', 'celeryPatterns.restart', 'celeryPatterns.showLogs']);
  });

  it('is limited in untrusted workspaces, restricting the settings that name what runs', () => {
    const untrusted = manifest.capabilities?.untrustedWorkspaces;
    assert.equal(untrusted?.supported, 'limited');
    assert.deepEqual([...untrusted.restrictedConfigurations].sort(), RESTRICTED_SETTING_KEYS.map((key) => `celeryPatterns.${key}`).sort());
    // Every setting that can name a program or a path is among them.
    for (const [key, schema] of Object.entries(properties) as [string, { markdownDescription?: string; description?: string }][]) {
      if (/interpreter|path|executable|command/i.test(`${key} ${schema.markdownDescription ?? schema.description ?? ''}`)) {
        assert.ok(untrusted.restrictedConfigurations.includes(key), key);
      }
    }
  });
});

describe('file watching', () => {
  it('watches Python files and pyproject.toml', () => {
    assert.ok(WATCHED_FILES.includes('**/*.py'));
    assert.ok(WATCHED_FILES.includes('**/pyproject.toml'));
  });

  it('tells the server not to register watchers of its own (each change is sent once)', () => {
    // As vscode-languageclient's FileSystemWatcherFeature fills them in.
    const capabilities = { workspace: { didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true } } };
    new StaticFileWatching().fillClientCapabilities(capabilities);
    assert.deepEqual(capabilities.workspace.didChangeWatchedFiles, { dynamicRegistration: false, relativePatternSupport: true });
  });
});
