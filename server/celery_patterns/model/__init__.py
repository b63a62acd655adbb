"""The project model: what the workspace's modules say together (tasks known across
services, dispatches, routes, apps, a call graph), between the per-file facts and the rules.

- `summary.py`: one module's summary, from its facts (the check's own parse).
- `layout.py`: the workspace, its services, and each file's module name.
- `project.py`: the summaries combined, and the questions rules ask of them.
- `cache.py`: summaries (and check results) kept on disk by content hash.
- `build.py`: the model of a workspace, from the cache where files are unchanged.
"""
