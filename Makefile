# Two entry points: `make run` and `make test`. Everything else is installed by these targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(CURDIR)/$(VENV)/bin
NPM_ENV := npm_config_yes=true

.PHONY: run test test-python test-extension install install-test editors neovim bench docs dist clean

run: install
	@echo "== celery-patterns check examples"
	@$(BIN)/celery-patterns check examples; status=$$?; [ $$status -le 1 ] || exit $$status

test: install-test editors test-python test-extension

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
	rm -rf $(VENV) .bench vscode-client/node_modules vscode-client/dist
