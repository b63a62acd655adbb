"""The language server (`celery-patterns lsp`), built on pygls 2 and lsprotocol.

- `server.py`: the LSP methods, one thin handler each, and `start()`.
- `session.py`: the state handlers share (documents, settings, checks, fixes).
- `protocol.py`: pygls' protocol at the edge (encoding, capabilities, JSON sent as is).
- `documents.py`: open documents, incremental sync, per-document results.
- `checking.py`: checking a buffer, including one with a syntax error.
- `convert.py`: findings and edits to LSP types, in the negotiated position encoding.
- `actions.py`: code actions (quick fix, disable for this line, fix all) and their resolution.
- `options.py`: editor settings over `pyproject.toml`, per workspace folder.
- `workspace.py`: the whole-workspace check.

Every rule-specific word comes from the engine (`celery_patterns.engine`) and the rule
registry; nothing here knows a rule by name.
"""
