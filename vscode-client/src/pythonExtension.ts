/** The active environment of the Python extension (ms-python.python), when it is installed. */

import * as vscode from 'vscode';

const PYTHON_EXTENSION_ID = 'ms-python.python';

/** The small part of the Python extension's public API used here. */
interface EnvironmentPath {
  readonly id: string;
  readonly path: string;
}

interface PythonEnvironmentsApi {
  getActiveEnvironmentPath(resource?: vscode.Uri): EnvironmentPath;
  resolveEnvironment(
    environment: EnvironmentPath | string,
  ): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  readonly onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
}

interface PythonExtensionApi {
  ready?: Promise<void>;
  environments?: PythonEnvironmentsApi;
}

async function api(): Promise<PythonEnvironmentsApi | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>(PYTHON_EXTENSION_ID);
  if (!extension) {
    return undefined;
  }
  const exports = extension.isActive ? extension.exports : await extension.activate();
  await exports?.ready;
  return exports?.environments;
}

/** The interpreter the Python extension has selected for `resource`, if it has one. */
export async function activeInterpreter(
  resource: vscode.Uri | undefined,
  warn: (message: string) => void,
): Promise<string | undefined> {
  try {
    const environments = await api();
    if (!environments) {
      return undefined;
    }
    const resolved = await environments.resolveEnvironment(environments.getActiveEnvironmentPath(resource));
    return resolved?.executable.uri?.fsPath;
  } catch (error) {
    warn(`Could not ask the Python extension for its interpreter: ${String(error)}`);
    return undefined;
  }
}

/** Calls `listener` when the user picks another interpreter in the Python extension. */
export async function onDidChangeInterpreter(listener: () => void): Promise<vscode.Disposable | undefined> {
  try {
    return (await api())?.onDidChangeActiveEnvironmentPath(listener);
  } catch {
    return undefined;
  }
}
