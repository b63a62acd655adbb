// End-to-end test in a real VS Code: code-server (from npm) driven by Playwright with Debian's
// Chromium. Installs the packaged .vsix, opens a copy of examples/, waits for a CEL002 squiggle,
// goes from a task-name string of the server service to the worker's task with F12 and hovers
// it, reads the Problems panel, applies the quick fix with Ctrl+. and Enter, saves and checks the
// file on disk. Then a second, short run in Restricted Mode (workspace trust denied): the
// bundled server still checks, and the interpreter the repository's .vscode/settings.json names
// runs only once trust is granted. The copies of examples/ hold a json.py and a celery_patterns/
// that must never be imported. Screenshots of every step go to the artifacts folder.
//
//   node e2e/run.mjs --vsix X.vsix --python /abs/python --examples ../examples \
//        --code-server .e2e-cache/cs/node_modules/.bin/code-server --node-bin .e2e-cache/.../bin \
//        --artifacts test-artifacts [--chromium /usr/bin/chromium] [--keep]

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: opts } = parseArgs({
  options: {
    vsix: { type: 'string' },
    python: { type: 'string' },
    examples: { type: 'string' },
    'code-server': { type: 'string' },
    'node-bin': { type: 'string' },
    artifacts: { type: 'string', default: 'test-artifacts' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    keep: { type: 'boolean', default: false },
  },
});
for (const required of ['vsix', 'python', 'examples', 'code-server']) {
  if (!opts[required]) {
    console.error(`e2e: --${required} is required`);
    process.exit(2);
  }
}

const started = Date.now();
const log = (...args) => console.log(`[e2e ${((Date.now() - started) / 1000).toFixed(1)}s]`, ...args);
const artifacts = path.resolve(opts.artifacts);
fs.rmSync(artifacts, { recursive: true, force: true });
fs.mkdirSync(artifacts, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'celery-patterns-e2e-'));
const python = path.resolve(opts.python);
const codeServer = path.resolve(opts['code-server']);
const env = {
  ...process.env,
  PATH: opts['node-bin'] ? `${path.resolve(opts['node-bin'])}${path.delimiter}${process.env.PATH}` : process.env.PATH,
  // Keep code-server's own state out of the home directory.
  XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'),
  XDG_DATA_HOME: path.join(tmp, 'xdg-data'),
  XDG_CACHE_HOME: path.join(tmp, 'xdg-cache'),
};

let serverProcess;
let context;
let step = 0;
let page;
/** The user-data folders of the code-server runs, for their extension logs. */
const userDataDirs = [];
/** Where the repository code planted in the workspaces writes when it runs. */
const markers = path.join(tmp, 'markers');

/** Stops code-server and everything it started (extension host, language server). */
function killServerGroup() {
  if (serverProcess && serverProcess.exitCode === null && serverProcess.signalCode === null) {
    for (const signal of ['SIGTERM', 'SIGKILL']) {
      try {
        process.kill(-serverProcess.pid, signal);
      } catch {
        // already gone
      }
      if (signal === 'SIGTERM') {
        const until = Date.now() + 3000;
        while (Date.now() < until) {
          try {
            process.kill(-serverProcess.pid, 0);
          } catch {
            return;
          }
          execFileSync('sleep', ['0.1']);
        }
      }
    }
  }
}
process.on('exit', killServerGroup);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killServerGroup();
    process.exit(130);
  });
}

async function shot(name) {
  step += 1;
  const file = path.join(artifacts, `${String(step).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${path.relative(process.cwd(), file)}`);
  return file;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor(what, timeoutMs, check) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    try {
      const value = await check();
      if (value) {
        return value;
      }
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (${last.message})` : ''}`);
}

/** True when an error squiggle is drawn on the line that has the cursor. */
async function squiggleOnCursorLine(editor) {
  const line = await editor.locator('.view-overlays .current-line').first().boundingBox({ timeout: 2000 });
  if (!line) {
    return false;
  }
  // All boxes in one evaluation: squiggles come and go while we look (that is what the
  // callers wait for), and a locator for the n-th one would wait for it to come back.
  const boxes = await editor.locator('.squiggly-error').evaluateAll(
    (elements) => elements.map((e) => { const r = e.getBoundingClientRect(); return { y: r.y, height: r.height }; }));
  return boxes.some((box) => box.height > 0 && box.y >= line.y - 2 && box.y + box.height <= line.y + line.height + 2);
}

function copyExamples(source, destination) {
  fs.cpSync(source, destination, {
    recursive: true,
    filter: (src) => !/(^|[\\/])(__pycache__|\.venv|node_modules|\.mypy_cache|\.pytest_cache)$/.test(src),
  });
}

/** A CEL002 finding: first ask the CLI, else look for `time.sleep(` inside an `async def`. */
function findTarget(folder) {
  try {
    const out = execFileSync(python, ['-m', 'celery_patterns', 'check', '--format', 'json', '.'], {
      cwd: folder,
      timeout: 60000,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const data = JSON.parse(out);
    const items = Array.isArray(data) ? data : (data.findings ?? data.results ?? []);
    const hits = items.filter((item) => item.code === 'CEL002').sort((a, b) => (a.path < b.path ? -1 : 1));
    const hit = hits.find((item) => item.path.replace(/\\/g, '/').includes('server/')) ?? hits[0];
    if (hit) {
      const file = path.resolve(folder, hit.path);
      const lineText = fs.readFileSync(file, 'utf8').split('\n')[hit.line - 1];
      if (lineText.includes('time.sleep(')) {
        return { file, line: hit.line, column: hit.column, lineText, how: 'celery-patterns check' };
      }
    }
  } catch (error) {
    // The CLI exits non-zero when it finds something; its output is still usable.
    if (error.stdout) {
      try {
        const data = JSON.parse(error.stdout);
        const items = Array.isArray(data) ? data : (data.findings ?? data.results ?? []);
        const hits = items.filter((item) => item.code === 'CEL002');
        const hit = hits.find((item) => item.path.replace(/\\/g, '/').includes('server/')) ?? hits[0];
        if (hit) {
          const file = path.resolve(folder, hit.path);
          const lineText = fs.readFileSync(file, 'utf8').split('\n')[hit.line - 1];
          if (lineText.includes('time.sleep(')) {
            return { file, line: hit.line, column: hit.column, lineText, how: 'celery-patterns check' };
          }
        }
      } catch {
        // fall through to the scan
      }
    }
  }
  return scanForSleepInAsync(folder);
}

function scanForSleepInAsync(folder) {
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else if (entry.name.endsWith('.py')) {
        files.push(full);
      }
    }
  };
  walk(folder);
  files.sort((a, b) => Number(!a.includes(`${path.sep}server${path.sep}`)) - Number(!b.includes(`${path.sep}server${path.sep}`)));
  for (const file of files) {
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const scopes = [];
    for (let i = 0; i < lines.length; i += 1) {
      const text = lines[i];
      if (text.trim() === '' || text.trim().startsWith('#')) {
        continue;
      }
      const indent = text.length - text.trimStart().length;
      while (scopes.length && scopes[scopes.length - 1].indent >= indent) {
        scopes.pop();
      }
      const def = /^\s*(async\s+)?def\s/.exec(text);
      if (def) {
        scopes.push({ indent, async: Boolean(def[1]) });
        continue;
      }
      const column = text.indexOf('time.sleep(');
      if (column >= 0 && scopes.length && scopes[scopes.length - 1].async && !text.includes('await')) {
        return { file, line: i + 1, column: column + 1, lineText: text, how: 'scan for time.sleep in async def' };
      }
    }
  }
  throw new Error(`no time.sleep() inside an async def found under ${folder}`);
}

/**
 * What a cloned repository can carry to run code when its folder is opened: modules that
 * shadow what the extension's Python imports from the working directory.
 */
function plantRepositoryCode(workspace) {
  fs.mkdirSync(markers, { recursive: true });
  const trap = (name) => `open(${JSON.stringify(path.join(markers, name))}, "a").write("imported\\n")\n`;
  fs.writeFileSync(path.join(workspace, 'json.py'), trap('json.py'));
  fs.mkdirSync(path.join(workspace, 'celery_patterns'));
  fs.writeFileSync(path.join(workspace, 'celery_patterns', '__init__.py'), trap('celery_patterns'));
  fs.writeFileSync(path.join(workspace, 'celery_patterns', '__main__.py'), trap('celery_patterns.__main__'));
}

function repositoryCodeThatRan() {
  return fs.existsSync(markers) ? fs.readdirSync(markers).sort() : [];
}

function assertNoRepositoryCodeRan(when) {
  const ran = repositoryCodeThatRan();
  if (ran.length > 0) {
    throw new Error(`code from the opened repository ran ${when}: ${ran.join(', ')}`);
  }
  log(`no repository code ran ${when}`);
}

const BASE_SETTINGS = {
  'celeryPatterns.interpreter': [python],
  'celeryPatterns.trace.server': 'messages',
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'git.enabled': false,
  'files.autoSave': 'off',
  'editor.minimap.enabled': false,
  'editor.stickyScroll.enabled': false,
  'editor.hover.enabled': false,
  'editor.lightbulb.enabled': 'off',
  'window.zoomLevel': 0,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.layoutControl.enabled': false,
};

const extensions = path.join(tmp, 'extensions');

/** Starts code-server on `workspace` with its own user data; workspace trust only if `trust`. */
async function startCodeServer(name, workspace, settings, { trust }) {
  const userData = path.join(tmp, `user-data${name ? `-${name}` : ''}`);
  userDataDirs.push(userData);
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const configFile = path.join(tmp, 'code-server.yaml');
  const port = await freePort();
  fs.writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);

  if (!fs.existsSync(extensions)) {
    log(`installing ${path.basename(opts.vsix)}`);
    execFileSync(
      codeServer,
      ['--config', configFile, '--user-data-dir', userData, '--extensions-dir', extensions, '--install-extension', path.resolve(opts.vsix)],
      { env, stdio: 'inherit', timeout: 120000 },
    );
  }

  const serverLog = fs.openSync(path.join(artifacts, `code-server${name ? `-${name}` : ''}.log`), 'w');
  serverProcess = spawn(
    codeServer,
    [
      '--config', configFile,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      ...(trust ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override',
      '--user-data-dir', userData,
      '--extensions-dir', extensions,
      workspace,
    ],
    { env, detached: true, stdio: ['ignore', serverLog, serverLog] },
  );
  log(`code-server pid ${serverProcess.pid} on port ${port}${trust ? ' (workspace trust on)' : ''}`);
  await waitFor('code-server to answer', 60000, async () => {
    if (serverProcess.exitCode !== null) {
      throw new Error(`code-server exited with ${serverProcess.exitCode}`);
    }
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    return response.ok;
  });
  return { port, userData };
}

async function openBrowser(port, workspace) {
  if (!context) {
    context = await chromium.launchPersistentContext(path.join(tmp, 'chromium'), {
      executablePath: opts.chromium,
      headless: true,
      env, // XDG_* in the temporary folder: Chromium writes nothing under the home directory
      viewport: { width: 1280, height: 800 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context.setDefaultTimeout(30000);
  }
  page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
}

// Right after a window (re)loads, the workbench may drop a key press: press again until the
// quick input shows, rather than failing on the first one (a flaky failure seen in CI).
async function openQuickInput(beforeKeys, keys) {
  for (let attempt = 1; ; attempt += 1) {
    for (const key of beforeKeys) await page.keyboard.press(key);
    await page.keyboard.press(keys);
    try {
      await page.locator('.quick-input-widget input').waitFor({ timeout: 5000 });
      return;
    } catch (error) {
      if (attempt >= 4) throw error;
      log(`${keys} not taken yet (attempt ${attempt}), pressing it again`);
    }
  }
}

async function runCommand(title) {
  await openQuickInput([], 'Control+Shift+P');
  await page.keyboard.type(title);
  await page.locator('.quick-input-widget .monaco-list-row.focused', { hasText: title }).waitFor({ timeout: 10000 });
  await page.keyboard.press('Enter');
}

async function goToTarget(target) {
  // Control+1 focuses the editor (no click: overlays take clicks).
  await openQuickInput(['Control+1'], 'Control+G');
  await page.keyboard.type(`${target.line}:${target.column}`);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10000 });
}

/** Opens a file of the workspace from the explorer: expand its folders, double-click it. */
async function openFile(relative) {
  const parts = relative.split(path.sep);
  for (const [index, name] of parts.entries()) {
    const row = page.locator('.explorer-folders-view .monaco-list-row', {
      has: page.locator('.label-name', { hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }),
    });
    await row.first().waitFor({ timeout: 15000 });
    if (index < parts.length - 1) {
      if ((await row.first().getAttribute('aria-expanded')) !== 'true') {
        await row.first().click();
      }
    } else {
      await row.first().dblclick();
    }
  }
  await page.locator('.tab.active', { hasText: parts[parts.length - 1] }).waitFor({ timeout: 15000 });
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.waitFor({ timeout: 15000 });
  return editor;
}

/** The text of the line that has the cursor, as the editor draws it. */
async function cursorLineText(editor) {
  return editor.evaluate((root) => {
    const current = root.querySelector('.view-overlays .current-line');
    if (!current) {
      return undefined;
    }
    const y = current.getBoundingClientRect().y;
    const line = [...root.querySelectorAll('.view-lines .view-line')].find(
      (element) => Math.abs(element.getBoundingClientRect().y - y) < 2);
    return line?.textContent?.replace(/\u00a0/g, ' ');
  });
}

/** The cursor's line and column as the status bar says ("Ln 12, Col 5"). */
async function statusBarPosition() {
  const item = page.locator('.statusbar-item', { hasText: /^\s*Ln \d+, Col \d+/ }).first();
  const match = /Ln (\d+), Col (\d+)/.exec(await item.innerText({ timeout: 5000 }));
  return match ? { line: Number(match[1]), column: Number(match[2]) } : undefined;
}

/**
 * 3c. The editor across services: in the server's rag_client.py, the cursor on the task-name
 * string "rag.search" (dispatched by name: the server does not import the worker), F12 lands in
 * the worker's rag/tasks.py on the task's `def`; hovering the string (Ctrl+K Ctrl+I, the
 * keyboard's hover) shows the task's parameters. The server answers from its project model,
 * indexed in the background once it starts: wait for the "Indexing Celery tasks" progress to
 * leave the status bar, then press F12 again for a while if the first one comes too early.
 */
async function taskNavigation(workspace, target, editor) {
  const client = path.join(workspace, 'server', 'core', 'celery', 'rag_client.py');
  const worker = path.join(workspace, 'rag', 'tasks.py');
  const name = '"rag.search"';
  if (client !== target.file) {
    await openFile(path.relative(workspace, client));
  }
  const clientLines = fs.readFileSync(client, 'utf8').split('\n');
  const nameLine = clientLines.findIndex((text) => text.includes(name));
  if (nameLine < 0) {
    throw new Error(`no ${name} in ${client}`);
  }
  // 1-based, on the "a" of "rag": inside the string.
  const onName = { line: nameLine + 1, column: clientLines[nameLine].indexOf(name) + 3 };
  const defLine = fs.readFileSync(worker, 'utf8').split('\n').findIndex((text) => text.startsWith('def search(')) + 1;
  if (defLine < 1) {
    throw new Error(`no "def search(" in ${worker}`);
  }

  const indexing = page.locator('.statusbar-item', { hasText: 'Indexing Celery tasks' });
  await waitFor('the "Indexing Celery tasks" progress to end', 60000, async () => (await indexing.count()) === 0);
  const workerTab = page.locator('.tab.active', { hasText: /^\s*tasks\.py/ });
  let presses = 0;
  const pressed = Date.now();
  await waitFor('F12 on "rag.search" to open rag/tasks.py', 30000, async () => {
    await goToTarget(onName);
    presses += 1;
    await page.keyboard.press('F12');
    await workerTab.waitFor({ timeout: 2000 });
    return true;
  });
  // Where it landed: the file (breadcrumbs: rag > tasks.py), the line and the column of `search`.
  const at = await waitFor('the cursor on the def of the task', 10000, async () => {
    const position = await statusBarPosition();
    return position && position.line === defLine ? position : undefined;
  });
  const lineText = await cursorLineText(editor);
  if (!lineText || !lineText.trimStart().startsWith('def search(')) {
    throw new Error(`F12 landed on ${JSON.stringify(lineText)}, not on "def search("`);
  }
  if (at.column !== 'def '.length + 1) {
    throw new Error(`F12 landed at column ${at.column} of the def, not on the name "search"`);
  }
  const crumbs = (await page.locator('.breadcrumbs-control').first().innerText({ timeout: 5000 })).replace(/\s+/g, ' ');
  if (!/\brag\b.*\btasks\.py\b/.test(crumbs)) {
    throw new Error(`F12 opened ${crumbs}, not rag/tasks.py`);
  }
  log(`F12 on ${name} (${path.relative(workspace, client)}:${onName.line}) -> ${crumbs.trim()}, Ln ${at.line}, Col ${at.column}: ` +
    `${lineText.trim()} (${presses} press(es), ${Date.now() - pressed} ms)`);
  await shot('go-to-task-definition');

  // Back to the server's file (closing the worker's), then the hover on the same string.
  await page.keyboard.press('Control+W');
  await page.locator('.tab.active', { hasText: path.basename(client) }).waitFor({ timeout: 10000 });
  const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: 'rag.search(' });
  await waitFor('the hover of "rag.search" with the parameters of the task', 20000, async () => {
    await goToTarget(onName);
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+I');
    await hover.first().waitFor({ timeout: 3000 });
    return true;
  });
  const hoverText = (await hover.first().innerText()).replace(/\u00a0/g, ' ').replace(/\s+/g, ' ');
  if (!hoverText.includes('rag.search(project_dir, database_name, query)')) {
    throw new Error(`the hover does not show the task's parameters: ${hoverText}`);
  }
  log(`hover: ${hoverText.trim()}`);
  // (it fades in: a screenshot taken at once shows it greyed)
  await waitFor('the hover to be drawn', 5000, () =>
    hover.first().evaluate((element) => {
      for (let e = element; e && !e.classList.contains('monaco-editor'); e = e.parentElement) {
        if (Number(getComputedStyle(e).opacity) < 1) return false;
      }
      return true;
    }));
  await shot('task-hover');
  await page.keyboard.press('Escape');
  await hover.first().waitFor({ state: 'hidden', timeout: 5000 });
  if (client !== target.file) {
    await page.keyboard.press('Control+W');
  }
  await page.locator('.tab.active', { hasText: path.basename(target.file) }).waitFor({ timeout: 10000 });
}

async function main() {
  const workspace = path.join(tmp, 'examples');
  copyExamples(path.resolve(opts.examples), workspace);
  const target = findTarget(workspace);
  const relative = path.relative(workspace, target.file);
  log(`target: ${relative}:${target.line}:${target.column} (${target.how}): ${target.lineText.trim()}`);
  const original = fs.readFileSync(target.file, 'utf8');
  plantRepositoryCode(workspace);

  const { port, userData } = await startCodeServer('', workspace, BASE_SETTINGS, { trust: false });
  await openBrowser(port, workspace);

  // 1. The workbench is up and shows the folder.
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60000 });
  await shot('workbench');

  // 2. Open the file: expand its folders in the explorer, then double-click it.
  const editor = await openFile(relative);
  const parts = relative.split(path.sep);
  await shot('file-open');

  // 3. Go to the flagged call (only visible lines are drawn) and wait for its squiggle (High = Error).
  await goToTarget(target);
  await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 60000 });
  await waitFor('a squiggle on the flagged line', 15000, () => squiggleOnCursorLine(editor));
  log('squiggle shown');
  await shot('squiggle');
  // The probe and the server ran, from the extension's folder and isolated (-I).
  assertNoRepositoryCodeRan('with the server from the environment');

  // 3b. Editing pyproject.toml on disk re-checks the open file (the client's file watcher:
  // it declares no dynamic registration, so the server registers none): ignoring CEL002
  // removes the squiggle, undoing it brings it back.
  const pyproject = path.join(workspace, 'pyproject.toml');
  const projectConfig = fs.readFileSync(pyproject, 'utf8');
  fs.writeFileSync(pyproject, projectConfig.replace('[tool.celery-patterns]\n', '[tool.celery-patterns]\nignore = ["CEL002"]\n'));
  await waitFor('the squiggle to go after ignoring CEL002 in pyproject.toml', 30000,
    async () => !(await squiggleOnCursorLine(editor)));
  log('pyproject.toml change applied: squiggle gone');
  await shot('pyproject-ignores-cel002');
  fs.writeFileSync(pyproject, projectConfig);
  await waitFor('the squiggle to come back after restoring pyproject.toml', 30000, () => squiggleOnCursorLine(editor));
  log('pyproject.toml restored: squiggle back');

  // 3c. Across services: F12 on a task-name string of the server goes to the worker's task, and
  // hovering it shows the task's parameters.
  await taskNavigation(workspace, target, editor);

  // 4. The Problems panel lists it.
  await page.keyboard.press('Control+Shift+M');
  const rows = page.locator('.markers-panel .monaco-list-row');
  await rows.first().waitFor({ timeout: 15000 });
  const labels = await waitFor('a CEL002 row in Problems', 15000, async () => {
    const all = await rows.evaluateAll((elements) => elements.map((e) => `${e.getAttribute('aria-label') ?? ''} | ${e.textContent ?? ''}`));
    return all.some((label) => label.includes('CEL002')) ? all : undefined;
  });
  const problem = labels.find((label) => label.includes('CEL002') && label.includes(`line ${target.line} `));
  if (!problem) {
    throw new Error(`no CEL002 row for line ${target.line} in Problems: ${JSON.stringify(labels)}`);
  }
  log(`Problems: ${problem}`);
  if (!/celery-patterns/.test(labels.join('\n'))) {
    throw new Error(`no Problems row names the source celery-patterns: ${JSON.stringify(labels)}`);
  }
  await shot('problems');

  // 4b. "Check Whole Workspace" adds the findings of files that are not open (CEL009 is
  // only in server/api/routers/projects.py).
  // Only what an open Problems panel lists counts: no rows at all is no answer.
  const hasCel009 = async () => {
    const all = await rows.evaluateAll((elements) => elements.map((e) => `${e.getAttribute('aria-label') ?? ''} | ${e.textContent ?? ''}`));
    if (!all.some((label) => label.includes('CEL002'))) {
      throw new Error(`the Problems panel does not list the open file's findings: ${JSON.stringify(all)}`);
    }
    return all.some((label) => label.includes('CEL009'));
  };
  await runCommand('Celery Patterns: Check Whole Workspace');
  await page.locator('.notifications-toasts', { hasText: /finding\(s\) in \d+ file\(s\)/ }).first().waitFor({ timeout: 60000 });
  await waitFor('a CEL009 row in Problems after checking the workspace', 15000, hasCel009);
  log('workspace check: findings of closed files listed, Problems panel open');
  await shot('workspace-check');

  // 4c. A closed Python file changed on disk is checked again: the client's **/*.py watcher
  // tells the server (workspace/didChangeWatchedFiles).
  const router = path.join(workspace, 'server', 'api', 'routers', 'projects.py');
  const routerText = fs.readFileSync(router, 'utf8');
  fs.writeFileSync(router, '"""Emptied on disk by the end-to-end test."""\n');
  await waitFor('the CEL009 row to go after projects.py was emptied on disk', 30000, async () => !(await hasCel009()));
  log('closed file changed on disk: its findings went');
  await shot('closed-file-changed');
  fs.writeFileSync(router, routerText);
  await waitFor('the CEL009 row to come back after projects.py was restored', 30000, hasCel009);
  log('closed file restored: its findings are back');

  // 5. Cursor on the flagged call, Ctrl+. and pick the asyncio.sleep fix with the keyboard.
  await goToTarget(target);
  await page.keyboard.press('Control+.');
  const actions = page.locator('.action-widget .monaco-list-row');
  await actions.first().waitFor({ timeout: 15000 });
  await shot('quick-fix-menu');
  const wanted = /asyncio\.sleep/;
  await waitFor('the quick fix to be focused', 10000, async () => {
    const focused = page.locator('.action-widget .monaco-list-row.focused');
    const text = (await focused.count()) ? await focused.first().innerText() : '';
    if (wanted.test(text)) {
      return true;
    }
    await page.keyboard.press('ArrowDown');
    return false;
  });
  const chosen = await page.locator('.action-widget .monaco-list-row.focused').first().innerText();
  log(`quick fix: ${chosen.trim()}`);
  await page.keyboard.press('Enter');
  // (the file has other `await asyncio.sleep(` calls: wait for this very line)
  const expectedLine = target.lineText.replace('time.sleep(', 'await asyncio.sleep(');
  await waitFor('the fix in the editor', 15000, async () =>
    (await editor.locator('.view-lines').innerText()).replace(/\u00a0/g, ' ').includes(expectedLine.trim()),
  );
  await shot('fixed');

  // 6. Save and check the file on disk.
  await page.keyboard.press('Control+S');
  const saved = await waitFor('the fixed file on disk', 15000, () => {
    const text = fs.readFileSync(target.file, 'utf8');
    return text !== original && text.includes('await asyncio.sleep(') ? text : undefined;
  });
  const count = (text, needle) => text.split(needle).length - 1;
  if (!saved.split('\n').includes(expectedLine)) {
    throw new Error(`the saved file has no line ${JSON.stringify(expectedLine)}`);
  }
  if (count(saved, 'time.sleep(') !== count(original, 'time.sleep(') - 1) {
    throw new Error('the fix did not replace exactly one time.sleep() call');
  }
  if (!/^import asyncio$/m.test(saved) && !/^import asyncio as /m.test(saved)) {
    throw new Error('the saved file does not import asyncio');
  }
  await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 10000 });
  await shot('saved');
  fs.writeFileSync(path.join(artifacts, 'fixed-file.py'), saved);
  log(`saved file has: ${expectedLine.trim()}`);

  // 7. An environment without celery-patterns: the server bundled in the .vsix takes over.
  // (A bare venv of the same base Python, so the bundle's compiled libcst fits it.) With
  // fix-all on save turned on, saving the file (put back as it was) applies the safe fixes.
  const bare = path.join(tmp, 'bare-venv');
  execFileSync(python, ['-m', 'venv', '--without-pip', bare], { timeout: 60000 });
  const barePython = path.join(bare, 'bin', 'python');
  const settingsFile = path.join(userData, 'User', 'settings.json');
  const settings = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
  settings['celeryPatterns.interpreter'] = [barePython];
  settings['editor.codeActionsOnSave'] = { 'source.fixAll.celery-patterns': 'explicit' };
  fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
  fs.writeFileSync(target.file, original);
  await runCommand('Developer: Reload Window');
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60000 });
  await page.locator('.tab.active', { hasText: parts[parts.length - 1] }).waitFor({ timeout: 15000 });
  await waitFor('the original text back in the editor', 15000, async () =>
    !(await editor.locator('.view-lines').innerText()).replace(/\u00a0/g, ' ').includes(expectedLine.trim()),
  );
  await goToTarget(target);
  await waitFor('a squiggle from the bundled server on the flagged line', 60000, () => squiggleOnCursorLine(editor));
  const bundledLog = await waitFor('the log line about the bundled server', 15000, () => {
    const text = readExtensionLog();
    return /Using the bundled celery-patterns/.test(text) ? text : undefined;
  });
  if (!bundledLog.includes(`Python: ${barePython}`)) {
    throw new Error('the bundled server was not started with the configured interpreter');
  }
  log('bundled server: squiggle shown with an environment that lacks celery-patterns');
  await shot('bundled-server');
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Enter'); // an edit, so that Ctrl+S really saves
  await page.keyboard.press('Control+S');
  const fixedOnSave = await waitFor('fix-all on save on disk', 15000, () => {
    const text = fs.readFileSync(target.file, 'utf8');
    return text.includes(expectedLine) ? text : undefined;
  });
  if (count(fixedOnSave, 'time.sleep(') !== count(original, 'time.sleep(') - 1) {
    throw new Error('fix-all on save did not replace exactly the one unsafe time.sleep() call');
  }
  await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 10000 });
  log('fix-all on save applied the safe fix');
  await shot('fix-all-on-save');
  assertNoRepositoryCodeRan('with the bundled server');

  // 8. A broken interpreter (set, then the window reloaded): one clear notification with "Show logs", and the logs say why.
  settings['celeryPatterns.interpreter'] = [path.join(tmp, 'no-such-venv', 'bin', 'python')];
  fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
  await runCommand('Developer: Reload Window');
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60000 });
  const toasts = page.locator('.notifications-toasts .notification-toast', { hasText: 'Celery Patterns' });
  await toasts.first().waitFor({ timeout: 30000 });
  await page.waitForTimeout(2000); // a second notification would show up by now
  const toastTexts = await toasts.allInnerTexts();
  log(`notification: ${toastTexts.map((text) => text.replace(/\s+/g, ' ')).join(' || ')}`);
  if (toastTexts.length !== 1) {
    throw new Error(`expected one notification about the broken interpreter, got ${toastTexts.length}`);
  }
  if (!/cannot run Python/.test(toastTexts[0]) || !/no-such-venv/.test(toastTexts[0])) {
    throw new Error(`the notification does not name the broken interpreter: ${toastTexts[0]}`);
  }
  await shot('broken-interpreter');
  await toasts.first().locator('a.monaco-button, .monaco-button', { hasText: 'Show logs' }).first().click();
  const outputView = page.locator('.part.panel').first();
  await waitFor('the logs in the Output panel', 15000, async () =>
    /cannot run Python/.test((await outputView.innerText()).replace(/\s+/g, ' ')),
  );
  const status = page.locator('.statusbar-item', { hasText: 'Celery' }).first();
  if (!/error/.test((await status.getAttribute('class')) ?? '') && !(await status.locator('.codicon-error').count())) {
    throw new Error('the status bar item does not show the failure');
  }
  await shot('logs');

  await restrictedMode(target);
}

/**
 * 9. The same kind of folder opened without trusting it. Its .vscode/settings.json names an
 * interpreter inside the repository (a script that notes each run, then runs Python). In
 * Restricted Mode the extension runs the bundled server with the Python of the user settings,
 * so the findings still show and the script never runs; once trust is granted the extension
 * restarts with the workspace's settings, and the script runs.
 */
async function restrictedMode(firstTarget) {
  await context.close();
  context = undefined;
  killServerGroup();

  const workspace = path.join(tmp, 'restricted', 'examples');
  copyExamples(path.resolve(opts.examples), workspace);
  plantRepositoryCode(workspace);
  const target = { ...firstTarget, file: path.join(workspace, path.relative(path.join(tmp, 'examples'), firstTarget.file)) };
  const script = path.join(workspace, 'tools', 'python');
  fs.mkdirSync(path.dirname(script));
  fs.writeFileSync(script, `#!/bin/sh\necho "$*" >> ${JSON.stringify(path.join(markers, 'workspace-interpreter'))}\nexec ${JSON.stringify(python)} "$@"\n`, { mode: 0o755 });
  fs.mkdirSync(path.join(workspace, '.vscode'));
  fs.writeFileSync(
    path.join(workspace, '.vscode', 'settings.json'),
    JSON.stringify({ 'celeryPatterns.interpreter': ['${workspaceFolder}/tools/python'], 'celeryPatterns.importStrategy': 'fromEnvironment' }, null, 2),
  );
  const settings = { ...BASE_SETTINGS, 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'always' };
  const { port, userData } = await startCodeServer('restricted', workspace, settings, { trust: true });
  await openBrowser(port, workspace);

  // Deny trust when asked.
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 60000 });
  await shot('restricted-trust-prompt');
  await dialog.locator('.monaco-button', { hasText: /No, I don.t trust/ }).first().click();
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60000 });
  await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 15000 });
  log('restricted: trust denied, the window is in Restricted Mode');

  const editor = await openFile(path.relative(workspace, target.file));
  await goToTarget(target);
  await waitFor('a squiggle from the bundled server in Restricted Mode', 60000, () => squiggleOnCursorLine(editor));
  const restrictedLog = await waitFor('the log line about the bundled server in Restricted Mode', 15000, () => {
    const text = readExtensionLog(userData);
    return /Using the bundled celery-patterns/.test(text) ? text : undefined;
  });
  if (!/Restricted Mode/.test(restrictedLog) || !restrictedLog.includes(`Python: ${python} (from the celeryPatterns.interpreter setting)`)) {
    throw new Error('in Restricted Mode the server did not run with the interpreter of the user settings');
  }
  await shot('restricted-squiggle');
  assertNoRepositoryCodeRan('in Restricted Mode');
  log('restricted: squiggle from the bundled server, the workspace interpreter did not run');

  // Trusting the folder restarts the server with the workspace's settings.
  await runCommand('Workspaces: Manage Workspace Trust');
  const trustButton = page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust( Folder)?$/ }).first();
  await trustButton.waitFor({ timeout: 15000 });
  await shot('restricted-trust-editor');
  // The editor's own shortcut for its Trust button (a mouse click is taken by an overlay).
  await page.keyboard.press('Control+Enter');
  await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ state: 'detached', timeout: 15000 });
  log('trust granted');
  await waitFor('the workspace interpreter to run once the folder is trusted', 60000, () =>
    repositoryCodeThatRan().includes('workspace-interpreter'),
  );
  await waitFor('the server from the environment after trust', 30000, () =>
    /the workspace is now trusted[\s\S]*Using celery-patterns installed in that environment/.test(readExtensionLog(userData)),
  );
  const ran = repositoryCodeThatRan().filter((name) => name !== 'workspace-interpreter');
  if (ran.length > 0) {
    throw new Error(`code from the opened repository ran after trust: ${ran.join(', ')}`);
  }
  // The trust editor opened as a modal one: close it, back to the Python file.
  await page.keyboard.press('Escape');
  await page.locator('.workspace-trust-editor').first().waitFor({ state: 'hidden', timeout: 10000 });
  await goToTarget(target);
  await waitFor('the squiggle with the workspace interpreter', 60000, () => squiggleOnCursorLine(editor));
  await shot('trusted-workspace-interpreter');
  log('trusted: the server restarted with the workspace interpreter');
}

/** The extension's output channel, as VS Code logged it (all windows so far). */
function readExtensionLog(userData = userDataDirs[0]) {
  return extensionLogFiles([userData]).map((file) => fs.readFileSync(file, 'utf8')).join('\n');
}

function extensionLogFiles(dirs = userDataDirs) {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else if (entry.name.endsWith('Celery Patterns.log')) {
        found.push(full);
      }
    }
  };
  for (const dir of dirs) {
    const before = found.length;
    walk(path.join(dir, 'logs'));
    found.splice(before, found.length - before, ...found.slice(before).sort());
  }
  return found;
}

/** The extension's output channel next to the screenshots. */
function copyExtensionLog() {
  for (const [index, file] of extensionLogFiles().entries()) {
    fs.copyFileSync(file, path.join(artifacts, `celery-patterns-output${index ? `-${index}` : ''}.log`));
  }
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  console.error(`[e2e] FAILED: ${error.stack ?? error}`);
  if (page) {
    try {
      await shot('failure');
    } catch {
      // no page to take
    }
  }
} finally {
  if (context) {
    await context.close().catch(() => {});
  }
  killServerGroup();
  copyExtensionLog();
  const elapsed = ((Date.now() - started) / 1000).toFixed(1);
  if (!opts.keep) {
    fs.rmSync(tmp, { recursive: true, force: true });
  } else {
    log(`kept ${tmp}`);
  }
  console.log(failed ? `e2e: 0 passed, 1 failed (${elapsed} s)` : `e2e: 1 passed, 0 failed (${elapsed} s)`);
  process.exitCode = failed ? 1 : 0;
}
