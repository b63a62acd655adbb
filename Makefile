# Two entry points: `make run` and `make test`. Everything else is installed by these targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
NPM_ENV := npm_config_yes=true

.PHONY: run test lint test-python test-pythons test-extension install install-test editors neovim bench docs dist clean

run: install
	@echo "== celery-patterns check examples"
	@$(BIN)/celery-patterns check examples; status=$$?; [ $$status -le 1 ] || exit $$status

test: lint install-test editors test-python test-pythons test-extension

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

install-test: $(VENV)/.installed-test
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(VENV)/.installed $@

# The gates before the tests (seconds): lint, formatting, the layer contracts of pyproject.toml
# ([tool.importlinter]) and mypy on server/ ([tool.mypy]). All run, then the target fails if any did.
LINT_PATHS := server tests bench
lint: install-test
	@status=0; \
	$(BIN)/ruff check $(LINT_PATHS) || status=1; \
	$(BIN)/ruff format --check $(LINT_PATHS) || status=1; \
	$(BIN)/lint-imports || status=1; \
	$(BIN)/mypy || status=1; \
	exit $$status

# The real-editor tests (tests/lsp/test_neovim.py, tests/editors/) need Debian's neovim, emacs-nox
# + elpa-eglot, vim + vim-ale and tmux. Install what is missing when we can (root, apt-get), else
# those tests skip, saying why. Each check is "the test's need:the package that meets it".
EDITOR_NEEDS := nvim:neovim emacs:emacs-nox eglot:elpa-eglot vim:vim /usr/share/vim-ale:vim-ale tmux:tmux
editors:
	@missing=""; for need in $(EDITOR_NEEDS); do what=$${need%%:*}; package=$${need#*:}; \
	  case $$what in \
	    /*) [ -e "$$what" ] ;; \
	    eglot) command -v emacs >/dev/null 2>&1 \
	           && emacs --batch --eval "(progn (package-initialize) (require 'eglot))" >/dev/null 2>&1 ;; \
	    *) command -v $$what >/dev/null 2>&1 ;; \
	  esac || missing="$$missing $$package"; done; \
	[ -z "$$missing" ] || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq -o DPkg::Lock::Timeout=300 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      -o DPkg::Lock::Timeout=300 $$missing >/dev/null) ; } \
	  || echo "note: could not install$$missing; the tests that need them will be skipped"

neovim: editors

test-python: install-test
	$(BIN)/python -m pytest

# Every CPython that requires-python allows (3.10-3.13) found on this machine: pyenv's
# ~/.pyenv/versions/3.1x*/bin/python, else python3.1x on PATH. Each gets a venv in .venvs/3.1x
# with the package (editable) and its test extras, and runs a fast subset: the rule tests
# (tests/test_rule_*.py) and the CLI tests (tests/test_cli*.py), a few minutes each. A version
# not found is skipped with a note; one whose tests fail fails the target.
PYTHON_VERSIONS := 3.10 3.11 3.12 3.13
PYTHONS_SUBSET  := tests/test_rule_*.py tests/test_cli*.py
test-pythons:
	@status=0; for version in $(PYTHON_VERSIONS); do \
	  python=$$(ls -d $$HOME/.pyenv/versions/$$version.*/bin/python 2>/dev/null | sort -V | tail -n 1); \
	  [ -n "$$python" ] || python=$$(command -v python$$version 2>/dev/null); \
	  if [ -z "$$python" ] || ! "$$python" -c 'import sys; sys.exit(sys.version_info[:2] != tuple(map(int, "'$$version'".split("."))))' 2>/dev/null; then \
	    echo "note: no CPython $$version found; skipping its tests"; continue; fi; \
	  venv=.venvs/$$version; echo "== CPython $$version ($$python): $(PYTHONS_SUBSET)"; \
	  if [ ! -x $$venv/bin/python ]; then "$$python" -m venv $$venv || { status=1; continue; }; fi; \
	  if [ ! -f $$venv/.installed-test ] || [ pyproject.toml -nt $$venv/.installed-test ]; then \
	    $$venv/bin/python -m pip install --quiet --upgrade pip && $$venv/bin/python -m pip install --quiet -e '.[test]' \
	      && touch $$venv/.installed-test || { status=1; continue; }; fi; \
	  $$venv/bin/python -m pytest -p no:cacheprovider $(PYTHONS_SUBSET) || status=1; \
	done; exit $$status

test-extension: install
	$(MAKE) -C vscode-client test PYTHON=$(BIN)/python

docs: install
	$(BIN)/python -c "from celery_patterns.docs import write_rule_docs; write_rule_docs('docs/rules')"

bench: install
	$(BIN)/python bench/cli_bench.py
	$(BIN)/python bench/lsp_bench.py

# Release artefacts (docs/release.md): the wheel and sdist, checked with twine, and one .vsix per
# VS Code target bundling that wheel, each checked against its target. Downloads are cached in
# DIST_CACHE (the wheels of every target, uv, which picks them).
DIST_CACHE ?= $(CURDIR)/.dist-cache
dist: install
	$(BIN)/python -m pip install --quiet build twine
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/python -m twine check --strict dist/*
	$(MAKE) -C vscode-client vsix PYTHON=$(BIN)/python VSIX_DIR=$(CURDIR)/dist E2E_CACHE=$(DIST_CACHE) \
	  SERVER_SOURCE="$$(ls $(CURDIR)/dist/celery_patterns-*.whl)"
	@ls -l dist

clean:
	rm -rf $(VENV) .venvs .bench vscode-client/node_modules vscode-client/dist
