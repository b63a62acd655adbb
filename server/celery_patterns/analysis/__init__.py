"""Reading a module: facts that several rules share, each module one concern.

- `facts`: scopes, bindings and name resolution (what `t.sleep` refers to).
- `celery`: the Celery vocabulary (states, status checks, apps, canvas, dispatch methods,
  result classes, whether code is Celery code at all, process pools that look like it).
- `results`: Celery results (status checks on them, the states they can be in at a node).
- `app_config`: Celery apps and the settings a module gives them.
- `comments`: real comments and what a `# noqa` says.
- `strings`, `numbers`, `names`: what text or number an expression holds; free names.
- `task_ids`: where code holds task ids and results (names that say so, what a dispatch
  made here returns, what a list holds, results only waited on).
- `defs`: the `def` a call reaches, where a `def`'s name is, stubs.
- `web`: the path a route decorator gives its function.
- `evaluation`: where an expression can be evaluated on a line of its own.
- `imports`: the name through which a scope reaches an imported module's function.
"""
