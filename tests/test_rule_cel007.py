"""CEL007 file-url-without-windows: detection and fix cases."""

import pytest

from celery_patterns.rules import rule_by_code
from ruletest import assert_fix, assert_no_fix, findings, fixed, lines

CODE = "CEL007"

INVALID = [
    # (source, lines flagged)
    (
        """
    def result_backend_url(path: str) -> str:
        return f"file://{path}"
    """,
        [2],
    ),
    # module level
    (
        """
    import os

    path = os.environ["RESULTS_DIR"]
    url = "file://" + path
    """,
        [4],
    ),
    # str() and os.path around the path; the whole chain is one finding
    (
        """
    import os

    def urls(p, base):
        a = "file://" + str(p)
        b = "file://" + os.path.abspath(base) + "/results"
        return a, b
    """,
        [4, 5],
    ),
    # .format and %
    (
        """
    def urls(path):
        return "file://{}".format(path), "file://%s" % path
    """,
        [2, 2],
    ),
    # a suffix after the path
    (
        """
    def url(path):
        return f"file://{path}/results"
    """,
        [2],
    ),
    # the Windows test is in another function: it does not count here
    (
        """
    import sys

    def is_drive(path):
        return sys.platform == "win32" and path[1] == ":"

    def url(path):
        return "file://" + path
    """,
        [7],
    ),
    # a replace on another variable does not count
    (
        """
    def url(path, other):
        other = other.replace("\\\\", "/")
        return "file://" + path
    """,
        [3],
    ),
    # the prefix held in a constant
    (
        """
    FILE_PREFIX = "file://"

    def url(path):
        return FILE_PREFIX + path
    """,
        [4],
    ),
    # inline in the app
    (
        """
    from celery import Celery

    def make(path):
        return Celery("x", backend=f"file://{path}")
    """,
        [4],
    ),
    # a nested def is its own scope
    (
        """
    import os

    def outer(path):
        if os.name == "nt":
            path = path.upper()
        def inner():
            return "file://" + path
        return inner
    """,
        [7],
    ),
    # a lambda is its own scope
    (
        """
    import sys

    if sys.platform == "win32":
        pass
    make_url = lambda p: "file://" + p
    """,
        [5],
    ),
    # multi-line with comments
    (
        """
    def url(path):
        return (
            "file://"  # scheme
            + path  # the directory
        )
    """,
        [3],
    ),
    # file:/// + a path variable still keeps backslashes
    (
        """
    def url(path):
        return "file:///" + path
    """,
        [2],
    ),
    # a prefix before the scheme (command-line option)
    (
        """
    def args(path):
        return ["--result-backend=file://" + path]
    """,
        [2],
    ),
    # a name that merely starts with "win" is no Windows test, even as a test
    (
        """
    def backend_url(path, games):
        win_rate = sum(g.won for g in games) / len(games)
        if win_rate > 0.5:
            pass
        return f"file://{path}", win_rate
    """,
        [5],
    ),
    # a replace on another attribute of the same object
    (
        """
    class Settings:
        def backend_url(self):
            label = self.name.replace("\\\\", "/")
            return "file://" + self.results_dir, label
    """,
        [4],
    ),
    # a platform test, but not for Windows
    (
        """
    import sys as system

    def url(path):
        if system.platform == "darwin" or system.platform.startswith("linux"):
            path = path.rstrip("/")
        return "file://" + path
    """,
        [6],
    ),
    # a replace on the key, not the path
    (
        """
    def url(cfg, key):
        key = key.replace("\\\\", "/")
        return "file://" + cfg[key]
    """,
        [3],
    ),
    # a local helper that does not handle Windows
    (
        """
    def clean(p):
        return p.strip()

    def url(path):
        return f"file://{clean(path)}"
    """,
        [5],
    ),
    # a helper from another module: flagged (no fix, see below)
    (
        """
    from .paths import to_posix_path

    def url(results_dir):
        return f"file://{to_posix_path(results_dir)}"
    """,
        [4],
    ),
]

VALID = [
    # the checklist's recommended code
    """
    import sys

    def url(path):
        result_backend_path = path.replace("\\\\", "/")
        if sys.platform == "win32" and path[1] == ":":
            result_backend_url = f"file:///{result_backend_path}"
        else:
            result_backend_url = f"file://{result_backend_path}"
        return result_backend_url
    """,
    # not string building
    """
    from pathlib import Path

    def url(p):
        return Path(p).as_uri()
    """,
    # fully literal URLs, or a constant path
    """
    ROOT = "/var/celery"
    A = "file:///tmp/results"
    B = "file://" + "/tmp/x"
    C = f"file://{ROOT}"
    """,
    # other schemes
    """
    def url(host, path):
        return "https://" + host + path
    """,
    # "file://" alone
    """
    def strip(url):
        if url.startswith("file://") and "file://" in url:
            return url.replace("file://", "")[len("file://"):]
        return url
    """,
    # os.name test in the scope
    """
    import os

    def url(path):
        if os.name == "nt":
            return "file:///" + path.replace("\\\\", "/")
        return "file://" + path
    """,
    # platform.system() through an alias
    """
    import platform as pf

    def url(path):
        prefix = "file:///" if pf.system() == "Windows" else "file://"
        return f"file://{path}" if prefix == "file://" else prefix + path
    """,
    # sys.platform imported by name, startswith
    """
    from sys import platform as plat

    def url(path):
        if plat.startswith("win"):
            raise NotImplementedError
        return "file://" + path
    """,
    # the path normalised before
    """
    def url(path):
        path = path.replace("\\\\", "/")
        return f"file://{path}"
    """,
    # normalised inside the URL expression, or the URL itself
    """
    import os

    def urls(path):
        a = "file://" + path.replace(os.sep, "/")
        b = ("file://" + path).replace("\\\\", "/")
        return a, b
    """,
    # normalised where the variable is bound (module level)
    """
    import os

    BACKEND_DIR = os.path.abspath("results").replace("\\\\", "/")

    def url():
        return f"file://{BACKEND_DIR}"
    """,
    # a flag named for Windows
    """
    from .compat import IS_WINDOWS

    def url(path):
        return ("file:///" if IS_WINDOWS else "file://") + path if IS_WINDOWS else "file://" + path
    """,
    # pathname2url does the job
    """
    from urllib.request import pathname2url

    def url(path):
        return "file://" + pathname2url(path)
    """,
    # as_posix
    """
    from pathlib import Path

    def url(p):
        return "file://" + Path(p).as_posix()
    """,
    # a helper of this module that handles Windows
    """
    import os

    def unc_path(path):
        if os.name == "nt":
            return "/" + path.replace("\\\\", "/")
        return path

    def url(result_path):
        return f"file://{unc_path(result_path)}"
    """,
    """
    from pathlib import PureWindowsPath

    def to_posix(p):
        return PureWindowsPath(p).as_posix()

    def url(d):
        return "file://" + to_posix(d) + "/results"
    """,
    # a message that mentions file:// URLs is not one
    """
    def check(url, error):
        raise ValueError(f"cannot parse the file:// URL {url}: {error}")

    def log(path):
        print("file:// backend at " + path, "file://%s is missing" % "x")
    """,
    # a method of the class that handles Windows
    """
    import os

    class Store:
        def _posix(self, p):
            if os.name == "nt":
                return "/" + p.replace("\\\\", "/")
            return p

        def backend_url(self, d):
            return f"file://{self._posix(d)}/results"
    """,
    # the same attribute normalised first
    """
    class Settings:
        def backend_url(self):
            self.results_dir = self.results_dir.replace("\\\\", "/")
            return "file://" + self.results_dir
    """,
    # match on the platform with a Windows case
    """
    import sys

    def url(path):
        match sys.platform:
            case "win32" | "cygwin":
                path = "/" + path
        return "file://" + path
    """,
    # an item normalised into a name used in the path
    """
    import os

    def url(cfg):
        base = cfg["dir"].replace("\\\\", "/")
        return "file://" + os.path.join(base, "results")
    """,
    # a Windows flag function called in a test
    """
    from .compat import is_windows

    def url(path):
        return "file:///" + path if is_windows() else "file://" + path
    """,
    # a flag bound to an os.name test at module level
    """
    import os

    ON_NT = os.name == "nt"

    def url(path):
        if ON_NT:
            path = "/" + path
        return "file://" + path
    """,
]


@pytest.mark.parametrize("source,expected", INVALID)
def test_invalid(source, expected):
    assert lines(source, CODE) == expected


@pytest.mark.parametrize("source", VALID)
def test_valid(source):
    assert lines(source, CODE) == []


def test_docs_example_and_use_instead():
    rule = rule_by_code(CODE)
    assert lines(rule.doc_example("Example"), CODE)
    assert lines(rule.doc_example("Use instead"), CODE) == []


def test_noqa():
    assert (
        lines(
            """
        def url(path):
            return "file://" + path  # noqa: CEL007
        """,
            CODE,
        )
        == []
    )


# --- fixes ------------------------------------------------------------------------------
def test_fix_assignment_keeps_target_and_comment():
    assert_fix(
        """
        import os

        def backend(path):
            # where results go
            result_backend_url = "file://" + path  # filesystem backend
            return result_backend_url
        """,
        """
        import os
        import sys

        def backend(path):
            # where results go
            result_backend_path = path.replace("\\\\", "/")
            if sys.platform == "win32" and result_backend_path[1:2] == ":":
                result_backend_url = "file:///" + result_backend_path
            else:
                result_backend_url = "file://" + result_backend_path  # filesystem backend
            return result_backend_url
        """,
        CODE,
    )


def test_fix_return_fstring_is_hoisted():
    assert_fix(
        """
        import sys

        def url(path):
            return f'file://{path}/results'
        """,
        """
        import sys

        def url(path):
            result_backend_path = str(path).replace('\\\\', '/')
            if sys.platform == 'win32' and result_backend_path[1:2] == ':':
                result_backend_url = f'file:///{result_backend_path}/results'
            else:
                result_backend_url = f'file://{result_backend_path}/results'
            return result_backend_url
        """,
        CODE,
    )


def test_fix_crlf_and_tabs():
    before = "import sys\r\n\r\ndef url(p):\r\n\tif p:\r\n\t\turl = 'file://' + p\r\n\t\treturn url\r\n"
    after = (
        "import sys\r\n\r\ndef url(p):\r\n\tif p:\r\n"
        "\t\turl_path = p.replace('\\\\', '/')\r\n"
        "\t\tif sys.platform == 'win32' and url_path[1:2] == ':':\r\n"
        "\t\t\turl = 'file:///' + url_path\r\n"
        "\t\telse:\r\n"
        "\t\t\turl = 'file://' + url_path\r\n"
        "\t\treturn url\r\n"
    )
    assert fixed(before, CODE, raw=True) == after


def test_fix_reuses_sys_alias_inline_keyword():
    assert_fix(
        """
        import sys as _sys
        from celery import Celery as C

        def make(path):
            return C("x", backend="file://{}".format(path))
        """,
        """
        import sys as _sys
        from celery import Celery as C

        def make(path):
            backend_path = str(path).replace("\\\\", "/")
            if _sys.platform == "win32" and backend_path[1:2] == ":":
                backend_url = "file:///{}".format(backend_path)
            else:
                backend_url = "file://{}".format(backend_path)
            return C("x", backend=backend_url)
        """,
        CODE,
    )


def test_fix_comments_inside_the_expression():
    assert_fix(
        """
        import os
        import sys

        def url(base):
            url = (
                "file://"  # scheme
                + os.path.abspath(base)
                + "/results"
            )
            return url
        """,
        """
        import os
        import sys

        def url(base):
            url_path = os.path.abspath(base).replace("\\\\", "/")
            if sys.platform == "win32" and url_path[1:2] == ":":
                url = (
                    "file:///"  # scheme
                    + url_path
                    + "/results"
                )
            else:
                url = (
                    "file://"  # scheme
                    + url_path
                    + "/results"
                )
            return url
        """,
        CODE,
    )


def test_fix_module_level_percent_and_attribute_target():
    assert_fix(
        """
        import os
        from celery import Celery

        app = Celery("x")
        app.conf.result_backend = "file://%s" % os.environ["RESULTS"]
        """,
        """
        import os
        from celery import Celery
        import sys

        app = Celery("x")
        result_backend_path = str(os.environ["RESULTS"]).replace("\\\\", "/")
        if sys.platform == "win32" and result_backend_path[1:2] == ":":
            app.conf.result_backend = "file:///%s" % result_backend_path
        else:
            app.conf.result_backend = "file://%s" % result_backend_path
        """,
        CODE,
    )


def test_fix_name_clash_picks_another_name():
    result = fixed(
        """
        import sys

        def url(result_backend_path):
            result_backend_url = "file://" + result_backend_path
            return result_backend_url
        """,
        CODE,
    )
    assert "result_backend_path_posix = result_backend_path.replace(" in result
    assert 'result_backend_url = "file:///" + result_backend_path_posix' in result


def test_fix_annotated_assignment():
    result = fixed(
        """
        import sys

        def url(path):
            backend: str = f"file://{path}"
            return backend
        """,
        CODE,
    )
    assert 'backend: str = f"file:///{backend_path}"' in result
    assert "backend_path = str(path).replace(" in result


@pytest.mark.parametrize(
    "source",
    [
        # the path does not directly follow file://
        """
    def url(path):
        return "file://" + "/" + path
    """,
        # conditional evaluation: cannot be computed earlier
        """
    def url(path):
        return f"file://{path}" if path else None
    """,
        # shares its line with an if header
        """
    def url(path):
        if path: return "file://" + path
    """,
        # a conversion in the f-string
        """
    def url(path):
        return f"file://{path!r}"
    """,
        # `sys` is a parameter here
        """
    def url(sys, path):
        return "file://" + path
    """,
        # inside a comprehension
        """
    def urls(paths):
        return ["file://" + p for p in paths]
    """,
        # an inherited method may already handle Windows
        """
    from .base import BaseStore

    class Store(BaseStore):
        def backend_url(self, d):
            return f"file://{self.to_posix(d)}"
    """,
        # a helper from another module may already handle Windows
        """
    from ..utils import unc_path

    def url(result_path):
        return f"file://{unc_path(result_path)}"
    """,
    ],
)
def test_no_fix(source):
    assert_no_fix(source, CODE)


def test_finding_has_reason_when_no_fix():
    [finding] = findings(
        """
        def url(path):
            return f"file://{path}" if path else None
        """,
        CODE,
    )
    assert not finding.fixable and finding.no_fix_reason


# --- the fixed code computes the right URLs on both platforms -----------------------------
@pytest.mark.parametrize(
    "body",
    [
        'url = "file://" + path + "/results"\n    return url',
        'return f"file://{path}/results"',
        'return "file://{}/results".format(path)',
        'return "file://%s/results" % path',
        'return dict(backend="file://" + path + "/results")["backend"]',
        'url = (\n        "file://"  # scheme\n        + path\n        + "/results"\n    )\n    return url',
    ],
)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_fixed_code_behaviour(body, newline, monkeypatch):
    import sys

    source = f"def make_url(path):\n    {body}\n".replace("\n", newline)
    result = fixed(source, CODE, raw=True)
    assert not findings(result, CODE, raw=True)
    namespace: dict = {}
    exec(compile(result, "<fixed>", "exec"), namespace)
    make_url = namespace["make_url"]
    monkeypatch.setattr(sys, "platform", "linux")
    assert make_url("/var/lib/celery") == "file:///var/lib/celery/results"
    assert make_url("") == "file:///results"
    monkeypatch.setattr(sys, "platform", "win32")
    assert make_url("C:\\Users\\me\\.llamafarm") == "file:///C:/Users/me/.llamafarm/results"
    assert make_url("x") == "file://x/results"  # short paths do not raise


def test_no_fix_reason_names_the_helper():
    [finding] = findings(
        """
        from myproj.paths import to_posix_path

        def url(results_dir):
            return f"file://{to_posix_path(results_dir)}"
        """,
        CODE,
    )
    assert "to_posix_path" in finding.no_fix_reason


def test_fix_parenthesised_multiline_return():
    assert_fix(
        """
        import sys

        def url(path):
            return ("file://"
                    + path)  # continued
        """,
        """
        import sys

        def url(path):
            result_backend_path = path.replace("\\\\", "/")
            if sys.platform == "win32" and result_backend_path[1:2] == ":":
                result_backend_url = ("file:///"
                        + result_backend_path)
            else:
                result_backend_url = ("file://"
                        + result_backend_path)
            return result_backend_url  # continued
        """,
        CODE,
    )


def test_fix_multiline_keyword_gets_parentheses():
    assert_fix(
        """
        import sys
        from celery import Celery

        def make(path):
            return Celery("x",
                          backend="file://"
                          + path)
        """,
        """
        import sys
        from celery import Celery

        def make(path):
            backend_path = path.replace("\\\\", "/")
            if sys.platform == "win32" and backend_path[1:2] == ":":
                backend_url = ("file:///"
                              + backend_path)
            else:
                backend_url = ("file://"
                              + backend_path)
            return Celery("x",
                          backend=backend_url)
        """,
        CODE,
    )


def test_fix_return_without_space_keeps_its_parentheses():
    assert_fix(
        """
        import sys

        def url(path):
            return(f"file://{path}")
        """,
        """
        import sys

        def url(path):
            result_backend_path = str(path).replace("\\\\", "/")
            if sys.platform == "win32" and result_backend_path[1:2] == ":":
                result_backend_url = (f"file:///{result_backend_path}")
            else:
                result_backend_url = (f"file://{result_backend_path}")
            return(result_backend_url)
        """,
        CODE,
    )


LAYOUT_URLS = [
    '"file://" + path',
    '("file://"\n        + path)',
    '"file://" \\\n        + path',
    '("file://"  # scheme\n        + path  # dir\n    )',
    'f"file://{path}/x"',
    '(\n        f"file://{path}"  # c\n    )',
    'f"file://{path:>10}"',
    '"file://{}".format(\n        path)',
    '"file://%s" % (\n        path,)',
    '"file://" + os.path.join(\n        path, "x")',
    '"file://" + (path\n        + "x")',
    'rf"file://{path}"',
]
LAYOUT_CONTEXTS = [
    "    return {u}",
    "    x = {u}",
    "    x: str = {u}",
    "    return({u})",
    '    return Celery("x",\n        backend={u})',
    "    return {u}, 1",
    "    y = make(a,\n        {u})  # t",
    "    x += {u}",
    "    self.x = {u}",
    "    return not({u})",
]


@pytest.mark.parametrize("url", LAYOUT_URLS)
@pytest.mark.parametrize("context", LAYOUT_CONTEXTS)
def test_an_advertised_fix_is_produced(url, context):
    from celery_patterns.config import Settings
    from celery_patterns.engine import check_source, compute_fix

    source = f"import os\nfrom celery import Celery\n\ndef f(path, self, a):\n{context.format(u=url)}\n"
    checked = check_source(source, "server/m.py", Settings(), None)
    [finding] = [f for f in checked.report.findings if f.code == CODE]
    if finding.fixable:
        assert compute_fix(source, finding, Settings(), "server/m.py", None, checked) is not None
        fixed(source, CODE, raw=True)


@pytest.mark.parametrize(
    "source,reason",
    [
        # the scheme held in a constant: the path and `file://` are not in one literal
        ('SCHEME = "file://"\n\ndef url(path):\n    return f"{SCHEME}{path}"\n', "one literal"),
        # a constant in braces before the path is part of the prefix
        ('BASE = "C:"\n\ndef url(path):\n    return f"file://{BASE}{path}"\n', "does not directly follow"),
    ],
)
def test_constants_inside_an_fstring(source, reason):
    [finding] = findings(source, CODE, raw=True)
    assert not finding.fixable and reason in finding.no_fix_reason


@pytest.mark.parametrize(
    "source",
    [
        # a path under an absolute POSIX root cannot start with a drive letter
        'def url(id):\n    return f"file:///tmp/app-{id}"\n',
        'def url(x):\n    return "file://" + f"/var/lib/{x}"\n',
        'BASE = "/srv"\n\ndef url(path):\n    return f"file://{BASE}{path}"\n',
    ],
)
def test_posix_root_paths_are_not_flagged(source):
    assert findings(source, CODE, raw=True) == []


def test_a_bare_root_slash_still_needs_windows_handling():
    assert lines('def url(path):\n    return f"file:///{path}"\n', CODE, raw=True) == [2]
