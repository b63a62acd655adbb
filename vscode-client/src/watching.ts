/**
 * Files whose changes on disk the server is told about (workspace/didChangeWatchedFiles):
 * pyproject.toml changes the settings, a *.py file changes what a closed file's findings are.
 *
 * The client watches them itself (`synchronize.fileEvents`), so the notifications come whether
 * or not a server registers watchers at run time. It then says it cannot take such
 * registrations, so that a server that would register the same globs does not get every
 * change twice. No `vscode` import here, so the unit tests run in plain Node.
 */

import type { ClientCapabilities, FeatureState, StaticFeature } from 'vscode-languageclient';

export const WATCHED_FILES = ['**/*.py', '**/pyproject.toml'];

/** Registered after the library's own features, so its capability is the one sent. */
export class StaticFileWatching implements StaticFeature {
  fillClientCapabilities(capabilities: ClientCapabilities): void {
    const watched = capabilities.workspace?.didChangeWatchedFiles;
    if (watched) {
      watched.dynamicRegistration = false;
    }
  }

  initialize(): void {}

  getState(): FeatureState {
    return { kind: 'static' };
  }

  clear(): void {}
}
