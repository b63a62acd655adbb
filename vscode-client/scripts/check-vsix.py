"""Checks that a platform-specific .vsix holds a bundled server that fits its target.

    python scripts/check-vsix.py [--quiet] X.vsix TARGET VERSION...

Reads the archive: the target platform in its manifest, bundled/bundle.json (and that the
server's version is the extension's), and for each
CPython version a bundled/libs/cpXY folder with the server and its dependencies, whose compiled
modules are for that version (by file name) and for the target's OS and CPU (by the binary's
own header: ELF, Mach-O or PE). Exits 1 and says what is wrong otherwise.
"""

import json
import re
import struct
import sys
import xml.etree.ElementTree as ET
import zipfile

# (binary format, CPU as the header names it, file-name tag of a compiled module for CPython X.Y)
TARGETS = {
    "linux-x64": ("elf", 62, r"\.cpython-{v}-x86_64-linux-gnu\.so"),
    "linux-arm64": ("elf", 183, r"\.cpython-{v}-aarch64-linux-gnu\.so"),
    "darwin-x64": ("macho", 0x01000007, r"\.cpython-{v}-darwin\.so"),
    "darwin-arm64": ("macho", 0x0100000C, r"\.cpython-{v}-darwin\.so"),
    "win32-x64": ("pe", 0x8664, r"\.cp{v}-win_amd64\.pyd"),
}
ABI3 = {"elf": r"\.abi3\.so", "macho": r"\.abi3\.so", "pe": r"\.pyd"}
COMPILED = re.compile(r"\.(so|pyd|dylib)$")
# Imported when the server starts: each version's folder must have them.
REQUIRED = ["celery_patterns/__init__.py", "celery_patterns/__main__.py", "libcst/__init__.py",
            "pygls/__init__.py", "lsprotocol/__init__.py", "pathspec/__init__.py"]


def binary_cpus(data: bytes) -> tuple[str, set[int]]:
    """Format and CPU type(s) a compiled module's header names."""
    if data[:4] == b"\x7fELF":
        return "elf", {struct.unpack_from("<H", data, 18)[0]}
    if data[:4] == b"\xcf\xfa\xed\xfe":  # 64-bit Mach-O, little-endian
        return "macho", {struct.unpack_from("<I", data, 4)[0]}
    if data[:4] == b"\xca\xfe\xba\xbe":  # universal binary: a list of slices
        count = struct.unpack_from(">I", data, 4)[0]
        return "macho", {struct.unpack_from(">I", data, 8 + 20 * i)[0] for i in range(count)}
    if data[:2] == b"MZ":
        offset = struct.unpack_from("<I", data, 0x3C)[0]
        if data[offset:offset + 4] == b"PE\0\0":
            return "pe", {struct.unpack_from("<H", data, offset + 4)[0]}
    return "unknown", set()


def check(vsix: str, target: str, versions: list[str]) -> tuple[list[str], str]:
    problems: list[str] = []
    fmt, cpu, tag = TARGETS[target]
    with zipfile.ZipFile(vsix) as archive:
        names = archive.namelist()
        identity = ET.fromstring(archive.read("extension.vsixmanifest")).find(".//{*}Identity")
        declared = identity.get("TargetPlatform") if identity is not None else None
        if declared != target:
            problems.append(f"the manifest's target platform is {declared!r}, not {target!r}")

        try:
            bundle = json.loads(archive.read("extension/bundled/bundle.json"))
        except KeyError:
            return [*problems, "no extension/bundled/bundle.json"], ""
        if bundle.get("target") != target:
            problems.append(f"bundle.json says target {bundle.get('target')!r}, not {target!r}")
        if bundle.get("pythons") != versions:
            problems.append(f"bundle.json lists CPython {bundle.get('pythons')}, not {versions}")
        # One version for both (docs/release.md): the tag vX.Y.Z names the extension and the server.
        extension_version = json.loads(archive.read("extension/package.json")).get("version")
        if bundle.get("server") != extension_version:
            problems.append(f"the bundled server is {bundle.get('server')}, the extension {extension_version}")

        folders = {f"cp{v.replace('.', '')}": v for v in versions}
        present = {n.split("/")[3] for n in names if n.startswith("extension/bundled/libs/") and n.count("/") > 3}
        for extra in sorted(present - folders.keys()):
            problems.append(f"bundled/libs/{extra} is not one of the versions {versions}")
        compiled = 0
        for folder, version in folders.items():
            prefix = f"extension/bundled/libs/{folder}/"
            for required in REQUIRED:
                if prefix + required not in names:
                    problems.append(f"missing bundled/libs/{folder}/{required}")
            if not any(n.startswith(prefix + "libcst/") and COMPILED.search(n) for n in names):
                problems.append(f"bundled/libs/{folder} has no compiled libcst module")
            expected = re.compile(f"(?:{tag.format(v=version.replace('.', ''))}|{ABI3[fmt]})$")
            for name in names:
                if not (name.startswith(prefix) and COMPILED.search(name)):
                    continue
                compiled += 1
                short = name[len("extension/"):]
                if not expected.search(name):
                    problems.append(f"{short} is not named for CPython {version} on {target}")
                found, cpus = binary_cpus(archive.read(name))
                if found != fmt or cpu not in cpus:
                    problems.append(f"{short} is a {found} binary for CPU {sorted(hex(c) for c in cpus)}, not for {target}")
        for name in names:
            if COMPILED.search(name) and not any(name.startswith(f"extension/bundled/libs/{f}/") for f in folders):
                problems.append(f"{name} is a compiled file outside the bundled libraries")
            if re.search(r"/(__pycache__|bin|tests)/", name.removeprefix("extension/bundled/libs/cp")):
                problems.append(f"{name} should not be packaged")
        size = sum(i.file_size for i in archive.infolist())
    summary = (f"{vsix}: {target}, CPython {', '.join(versions)}, celery-patterns {bundle.get('server')}, "
               f"{compiled} compiled modules checked, {len(names)} files, {size / 2**20:.1f} MiB unpacked")
    return problems, summary


def main(argv: list[str]) -> int:
    quiet = "--quiet" in argv
    args = [a for a in argv if a != "--quiet"]
    if len(args) < 3 or args[1] not in TARGETS:
        print(__doc__.strip().splitlines()[2].strip(), f"\nTARGET is one of {', '.join(TARGETS)}", file=sys.stderr)
        return 2
    problems, summary = check(args[0], args[1], args[2:])
    if problems:
        if not quiet:
            print(f"{args[0]} does not fit {args[1]}:", *problems, sep="\n  ", file=sys.stderr)
        return 1
    print(f"ok {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
