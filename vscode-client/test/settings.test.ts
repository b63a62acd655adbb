import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ConfigReader,
  DEFAULTS,
  isServerSection,
  reactionToChange,
  readLaunchSettings,
  readServerSettings,
  SERVER_SETTING_KEYS,
} from '../src/settings';
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
    assert.deepEqual(readLaunchSettings(config({})), { interpreter: [], importStrategy: 'fromEnvironment' });
  });

  it('reads useBundled and the interpreter list', () => {
    assert.deepEqual(readLaunchSettings(config({ interpreter: ['/venv/bin/python', '-X'], importStrategy: 'useBundled' })), {
      interpreter: ['/venv/bin/python', '-X'],
      importStrategy: 'useBundled',
    });
  });

  it('treats an unknown strategy as fromEnvironment', () => {
    assert.equal(readLaunchSettings(config({ importStrategy: 'bogus' })).importStrategy, 'fromEnvironment');
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
});
