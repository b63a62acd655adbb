"""Reading a module: facts that several rules share, each module one concern.

- `facts`: scopes, bindings and name resolution (what `t.sleep` refers to).
- `celery`: the Celery vocabulary (states, status checks, apps, canvas, dispatch methods,
  result classes, whether code is Celery code at all, process pools that look like it).
- `results`: Celery results (status checks on them, the states they can be in at a node).
- `app_config`: Celery apps and the settings a module gives them.
- `comments`: real comments and what a `# noqa` says.
- `strings`, `numbers`, `names`: what text or number an expression holds; free names.
"""
