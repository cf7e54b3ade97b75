"""The PEP 517 build backend of goloader: `pip install ./python` calls it.

It builds libgoloader.so with `go build -buildmode=c-shared` from the Go
module this directory lives in (python/ of a loader checkout: Go 1.26 and a C
compiler needed), and packs it with the goloader package into a wheel tagged
for this platform and any Python 3 (the library is loaded with ctypes, so it
does not depend on the Python version). It needs nothing from PyPI, so it
works offline. There is no sdist: the wheel is built from the checkout.
"""
import base64
import hashlib
import os
import shutil
import subprocess
import sysconfig
import tempfile
import zipfile

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(PYTHON_DIR)


def _project():
    with open(os.path.join(PYTHON_DIR, "pyproject.toml"), "rb") as f:
        return tomllib.load(f)["project"]


def _metadata(project):
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {project['version']}",
             f"Summary: {project['description']}", f"Requires-Python: {project['requires-python']}"]
    lines += [f"Requires-Dist: {d}" for d in project.get("dependencies", [])]
    for extra, deps in project.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f'Requires-Dist: {d}; extra == "{extra}"' for d in deps]
    lines.append("Description-Content-Type: text/markdown")
    with open(os.path.join(PYTHON_DIR, project["readme"]), encoding="utf-8") as f:
        return "\n".join(lines) + "\n\n" + f.read()


def _build_library(out):
    if not os.path.exists(os.path.join(ROOT, "go.mod")):
        raise RuntimeError(f"goloader: {ROOT} is not the loader Go module: build from python/ of a loader checkout")
    go = os.environ.get("GO") or shutil.which("go")
    if not go:
        raise RuntimeError("goloader: building libgoloader.so needs Go 1.26 (https://go.dev/dl/) on PATH, or GO=/path/to/go")
    subprocess.run([go, "build", "-buildmode=c-shared", "-trimpath", "-ldflags=-s -w", "-o", out,
                    "./python/libgoloader"], cwd=ROOT, check=True, env=dict(os.environ, CGO_ENABLED="1"))


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = _project()
    name, version = project["name"], project["version"]
    tag = "py3-none-" + sysconfig.get_platform().replace("-", "_").replace(".", "_")
    wheel = f"{name}-{version}-{tag}.whl"
    dist_info = f"{name}-{version}.dist-info"
    with tempfile.TemporaryDirectory() as tmp:
        lib = os.path.join(tmp, "libgoloader.so")
        _build_library(lib)
        files = {"goloader/libgoloader.so": open(lib, "rb").read()}
        package = os.path.join(PYTHON_DIR, "goloader")
        for f in sorted(os.listdir(package)):
            if f.endswith(".py"):
                with open(os.path.join(package, f), "rb") as src:
                    files[f"goloader/{f}"] = src.read()
        files[f"{dist_info}/METADATA"] = _metadata(project).encode()
        files[f"{dist_info}/WHEEL"] = (f"Wheel-Version: 1.0\nGenerator: goloader _build/backend.py\n"
                                       f"Root-Is-Purelib: false\nTag: {tag}\n").encode()
        record = [_record_line(n, d) for n, d in files.items()] + [f"{dist_info}/RECORD,,"]
        files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
        with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w", zipfile.ZIP_DEFLATED) as z:
            for n, d in files.items():
                z.writestr(n, d)
    return wheel
