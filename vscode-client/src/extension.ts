/**
 * The Celery Patterns extension: find a Python, start `python -m celery_patterns lsp`, pass it
 * the settings. Everything about rules, diagnostics and fixes belongs to the server.
 */

import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  CloseAction,
  DidChangeConfigurationNotification,
  ErrorAction,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  State,
} from 'vscode-languageclient/node';
import {
  BundleInfo,
  chooseInterpreter,
  describeProbeFailure,
  describeSource,
  Interpreter,
  parseProbe,
  planLaunch,
  PROBE_ARGS,
  ProbeResult,
} from './interpreter';
import { RestartBudget } from './restarts';
import {
  isServerSection,
  LaunchSettings,
  reactionToChange,
  readLaunchSettings,
  readServerSettings,
  sameLaunch,
  SECTION,
} from './settings';
import { activeInterpreter, onDidChangeInterpreter } from './pythonExtension';
import { StaticFileWatching, WATCHED_FILES } from './watching';

const NAME = 'Celery Patterns';
/** The server's code action kind for "fix everything in this file". */
export const FIX_ALL_KIND = 'source.fixAll.celery-patterns';
/** The server's workspace/executeCommand that checks every file of the workspace. */
const SERVER_CHECK_WORKSPACE = 'celery-patterns.checkWorkspace';

type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

/** A LanguageClient whose fatal errors go to one notification of ours instead of its own. */
class Client extends LanguageClient {
  constructor(
    serverOptions: ServerOptions,
    clientOptions: LanguageClientOptions,
    private readonly onFatal: (message: string) => void,
  ) {
    // The id makes the client honour `celeryPatterns.trace.server`.
    super(SECTION, NAME, serverOptions, clientOptions);
    this.registerFeature(new StaticFileWatching());
  }

  override error(message: string, data?: unknown, showNotification: boolean | 'force' = true): void {
    super.error(message, data, false);
    if (showNotification === 'force') {
      this.onFatal(message);
    }
  }
}

class Controller implements vscode.Disposable {
  private client: Client | undefined;
  private state: ServerState = 'stopped';
  private detail = '';
  private notified = false;
  private everRunning = false;
  /** While client.start() is pending its failure is reported once, by startClient. */
  private launching = false;
  private readonly budget = new RestartBudget();
  /** The launch settings of the last start. */
  private launched: LaunchSettings | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.OutputChannel,
    private readonly status: vscode.StatusBarItem,
  ) {}

  log(level: 'Info' | 'Warn' | 'Error', message: string): void {
    this.output.appendLine(`[${level.padEnd(5)} - ${new Date().toLocaleTimeString()}] ${message}`);
  }

  /** Start (or restart) the server; calls are queued so two starts never overlap. */
  restart(reason: string, fresh = false): Promise<void> {
    this.queue = this.queue
      .then(async () => {
        if (fresh) {
          this.notified = false;
          this.budget.reset();
        }
        this.log('Info', `Starting the server (${reason}).`);
        await this.stopClient();
        await this.startClient();
      })
      .catch((error) => this.fail(`Celery Patterns could not start its server: ${String(error)}`));
    return this.queue;
  }

  async stop(): Promise<void> {
    await this.queue;
    await this.stopClient();
  }

  running(): Client | undefined {
    return this.state === 'running' ? this.client : undefined;
  }

  /** The settings changed: tell the server, or restart it when the launch settings changed. */
  configurationChanged(event: vscode.ConfigurationChangeEvent): void {
    const reaction = reactionToChange(
      (key) => event.affectsConfiguration(key),
      () => !sameLaunch(readLaunchSettings(this.configuration(), vscode.workspace.isTrusted), this.launched),
    );
    if (reaction === 'restart') {
      void this.restart('settings changed', true);
    } else if (reaction === 'notify') {
      const settings = readServerSettings(this.configuration());
      this.log('Info', `Settings changed: ${JSON.stringify(settings)}`);
      void this.running()?.sendNotification(DidChangeConfigurationNotification.type, { settings });
      this.showStatus();
    }
  }

  /** One error notification per start, with a way to the logs. */
  fail(message: string): void {
    this.log('Error', message);
    this.setState('failed', message);
    if (this.notified) {
      return;
    }
    this.notified = true;
    void vscode.window.showErrorMessage(message, 'Show logs').then((choice) => {
      if (choice === 'Show logs') {
        this.output.show(true);
      }
    });
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }

  private configuration(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(SECTION, vscode.workspace.workspaceFolders?.[0]?.uri);
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.disposables.forEach((d) => d.dispose());
    this.disposables.length = 0;
    if (client) {
      try {
        await client.stop(5000);
      } catch (error) {
        this.log('Warn', `Stopping the server: ${String(error)}`);
      }
    }
    this.setState('stopped');
  }

  private async startClient(): Promise<void> {
    this.setState('starting');
    this.everRunning = false;
    const folder = vscode.workspace.workspaceFolders?.[0];
    const config = this.configuration();
    const launch = readLaunchSettings(config, vscode.workspace.isTrusted);
    this.launched = launch;
    if (launch.restricted) {
      this.log('Info', 'Restricted Mode: the workspace is not trusted; running the bundled server with a Python not taken from the workspace.');
    }
    launch.ignored.forEach((key) => this.log('Warn', `Restricted Mode: ignoring ${key} from the workspace settings.`));
    const interpreter = chooseInterpreter({
      configured: launch.interpreter,
      pythonExtension:
        launch.interpreter.length > 0 ? undefined : await activeInterpreter(folder?.uri, (message) => this.log('Warn', message)),
      platform: process.platform,
      vars: { workspaceFolder: folder?.uri.fsPath, userHome: os.homedir(), env: process.env },
      untrustedFolders: launch.restricted ? (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath) : [],
    });
    interpreter.skipped?.forEach((skipped) =>
      this.log('Warn', `Restricted Mode: not running ${skipped}, which is inside the workspace.`),
    );
    this.log('Info', `Python: ${interpreter.path} (${describeSource(interpreter)}); import strategy: ${launch.importStrategy}.`);
    // Never the workspace: Python must not find the repository's modules by its working
    // directory (-I keeps it off sys.path too). The server learns its folders through LSP.
    const cwd = this.context.extensionPath;

    let probe: ProbeResult;
    try {
      probe = await runProbe(interpreter, cwd);
    } catch (error) {
      this.fail(describeProbeFailure(interpreter, error instanceof Error ? error.message : String(error)));
      return;
    }
    this.log('Info', `Python ${probe.version.join('.')} at ${probe.executable}.`);

    const bundleDir = path.join(this.context.extensionPath, 'bundled');
    const bundle = readBundleInfo(path.join(bundleDir, 'bundle.json'));
    const plan = planLaunch({
      interpreter,
      strategy: launch.importStrategy,
      probe,
      bundleDir: bundle ? bundleDir : undefined,
      bundle,
      restricted: launch.restricted,
    });
    if (!plan.ok) {
      this.fail(plan.problem);
      return;
    }
    plan.notes.forEach((note) => this.log('Info', note));
    this.log('Info', `Server command: ${[plan.command, ...plan.args].join(' ')}`);

    const serverOptions: ServerOptions = {
      command: plan.command,
      args: plan.args, // no `transport`: stdio without the `--stdio` argument the client would add
      options: { cwd, env: process.env },
    };
    const watchers = WATCHED_FILES.map((glob) => vscode.workspace.createFileSystemWatcher(glob));
    this.disposables.push(...watchers); // the client unhooks its listeners but leaves these open
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', language: 'python' },
        { scheme: 'untitled', language: 'python' },
      ],
      outputChannel: this.output,
      traceOutputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: readServerSettings(config),
      synchronize: { fileEvents: watchers },
      initializationFailedHandler: () => false,
      middleware: {
        workspace: {
          // The server asks for its settings per folder; answer with the same object as the
          // initialization options, read for that folder.
          configuration: async (params, token, next) => {
            const answers = await next(params, token);
            if (!Array.isArray(answers)) {
              return answers;
            }
            return params.items.map((item, index) =>
              isServerSection(item.section)
                ? readServerSettings(
                    vscode.workspace.getConfiguration(SECTION, item.scopeUri ? vscode.Uri.parse(item.scopeUri) : undefined),
                  )
                : answers[index],
            );
          },
        },
      },
      errorHandler: {
        error: (_error, _message, count) => ({
          action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
        }),
        closed: () => {
          if (!this.everRunning) {
            // Died while starting: start() rejects and says so once.
            return { action: CloseAction.DoNotRestart, handled: true };
          }
          if (this.budget.crashed()) {
            this.log('Warn', `The server stopped; restarting it (${this.budget.recentCrashes} in the last 3 minutes).`);
            return { action: CloseAction.Restart, handled: true };
          }
          return {
            action: CloseAction.DoNotRestart,
            message: `The Celery Patterns server stopped ${this.budget.recentCrashes} times in 3 minutes and will not be restarted. Run "Celery Patterns: Restart Server" once the cause in the logs is fixed.`,
          };
        },
      },
    };

    const client = new Client(serverOptions, clientOptions, (message) => {
      if (!this.launching) {
        this.fail(message);
      }
    });
    this.client = client;
    this.disposables.push(
      client.onDidChangeState((event) => {
        if (client !== this.client) {
          return;
        }
        if (event.newState === State.Running) {
          this.everRunning = true;
          this.notified = false;
          const from = plan.serverFrom === 'bundled' ? 'bundled server' : 'server from the environment';
          this.setState('running', `${interpreter.path}, ${from}${launch.restricted ? ' (Restricted Mode)' : ''}`);
        } else if (event.newState === State.Starting) {
          this.setState('starting');
        } else if (this.state !== 'failed') {
          this.setState('stopped');
        }
      }),
    );
    this.launching = true;
    try {
      await client.start();
    } catch (error) {
      this.log('Error', `Start failed: ${error instanceof Error ? error.message : String(error)}`);
      if (client === this.client) {
        this.fail(
          `The Celery Patterns server did not start: \`${[plan.command, ...plan.args].join(' ')}\` ` +
            'stopped before it answered. Its error output is in the logs.',
        );
      }
    } finally {
      this.launching = false;
    }
  }

  private setState(state: ServerState, detail = ''): void {
    this.state = state;
    this.detail = detail;
    this.showStatus();
  }

  private showStatus(): void {
    const enabled = readServerSettings(this.configuration()).enable;
    const icons: Record<ServerState, string> = {
      starting: '$(loading~spin)',
      running: enabled ? '$(check)' : '$(circle-slash)',
      stopped: '$(debug-stop)',
      failed: '$(error)',
    };
    const words: Record<ServerState, string> = {
      starting: 'starting',
      running: enabled ? 'running' : 'running, disabled by celeryPatterns.enable',
      stopped: 'stopped',
      failed: 'failed to start',
    };
    this.status.text = `${icons[this.state]} Celery`;
    this.status.tooltip = `${NAME} server: ${words[this.state]}${this.detail ? `\n${this.detail}` : ''}\nClick to show the logs.`;
    this.status.backgroundColor =
      this.state === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.status.show();
  }
}

function runProbe(interpreter: Interpreter, cwd: string): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    execFile(interpreter.path, PROBE_ARGS, { cwd, timeout: 20000, env: process.env }, (error, stdout, stderr) => {
      if (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') {
          reject(new Error('no such file'));
        } else if (code === 'EACCES') {
          reject(new Error('not executable'));
        } else if (error.killed) {
          reject(new Error('it did not answer within 20 s'));
        } else {
          const last = stderr.trim().split(/\r?\n/).pop() ?? '';
          reject(new Error(`it failed${last ? ` with "${last}"` : ` (${error.message})`}`));
        }
        return;
      }
      const probe = parseProbe(stdout);
      if (probe) {
        resolve(probe);
      } else {
        reject(new Error('it does not look like a Python interpreter'));
      }
    });
  });
}

function readBundleInfo(file: string): BundleInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as BundleInfo;
  } catch {
    return undefined;
  }
}

let controller: Controller | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel(NAME);
  const status = vscode.window.createStatusBarItem('celeryPatterns.status', vscode.StatusBarAlignment.Right, 100);
  status.name = NAME;
  status.command = 'celeryPatterns.showLogs';
  const ctl = new Controller(context, output, status);
  controller = ctl;

  context.subscriptions.push(
    output,
    status,
    ctl,
    vscode.commands.registerCommand('celeryPatterns.restart', () => ctl.restart('restart command', true)),
    vscode.commands.registerCommand('celeryPatterns.showLogs', () => output.show(true)),
    vscode.commands.registerCommand('celeryPatterns.checkWorkspace', () => checkWorkspace(ctl)),
    vscode.commands.registerCommand('celeryPatterns.fixAll', () => fixAll()),
    vscode.workspace.onDidChangeConfiguration((event) => ctl.configurationChanged(event)),
    // Trust lifts Restricted Mode: start again with the workspace's own settings.
    vscode.workspace.onDidGrantWorkspaceTrust(() => ctl.restart('the workspace is now trusted', true)),
  );
  const interpreterWatch = await onDidChangeInterpreter(() => {
    if (readLaunchSettings(vscode.workspace.getConfiguration(SECTION), vscode.workspace.isTrusted).interpreter.length === 0) {
      void ctl.restart('the Python extension changed interpreter', true);
    }
  });
  if (interpreterWatch) {
    context.subscriptions.push(interpreterWatch);
  }
  await ctl.restart('extension activated', true);
}

export async function deactivate(): Promise<void> {
  await controller?.stop();
}

async function checkWorkspace(ctl: Controller): Promise<void> {
  const client = ctl.running();
  if (!client) {
    ctl.fail('The Celery Patterns server is not running, so the workspace cannot be checked.');
    return;
  }
  const summary: unknown = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `${NAME}: checking the workspace` },
    () => client.sendRequest(ExecuteCommandRequest.type, { command: SERVER_CHECK_WORKSPACE, arguments: [] }),
  );
  // Focus the Problems view; workbench.actions.view.problems would toggle it closed when open.
  await vscode.commands.executeCommand('workbench.panel.markers.view.focus');
  const { files, findings } = (summary ?? {}) as { files?: unknown; findings?: unknown };
  if (typeof files === 'number' && typeof findings === 'number') {
    void vscode.window.showInformationMessage(`${NAME}: ${findings} finding(s) in ${files} file(s).`);
  }
}

async function fixAll(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'python') {
    void vscode.window.showInformationMessage(`${NAME}: open a Python file to fix.`);
    return;
  }
  await vscode.commands.executeCommand('editor.action.codeAction', { kind: FIX_ALL_KIND, apply: 'first' });
}
