"""Third-party packages reach a function's asset by ``pip install --target`` at synth time.

A function whose folder holds a ``requirements.txt`` (exact ``name==version`` pins, every
dependency listed) gets its asset by CDK *local* bundling, never Docker: the folder's own files
(the ``snip`` symlink followed, ``ASSET_EXCLUDE`` left out) plus those pins installed for
Lambda's platform and Python version (``--platform manylinux2014_aarch64 --implementation cp
--python-version 3.13 --only-binary=:all:``, so only wheels: nothing is compiled here). Synth
still needs no AWS account and no Docker; pip needs the package index.

Installs are cached under ``.build/lambda-deps/`` (git-ignored), keyed by the pins and the
target, so the many synths of the test suite copy instead of downloading. Only what the wheels
put beside the packages is kept: console scripts and data files that pip places outside the
install folder (``bin/``, ``share/``: a segno script with this machine's interpreter in its
shebang, a man page) are dropped. The asset's hash is CDK's ``SOURCE`` hash: it covers the
folder, ``requirements.txt`` included, and the bundling options (the pip target among them).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import jsii
from aws_cdk import BundlingOptions, ILocalBundling

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE = REPO_ROOT / ".build" / "lambda-deps"
REQUIREMENTS = "requirements.txt"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9][A-Za-z0-9.+!_-]*)$")
# Lambda's architecture name -> the wheel platform pip installs for (manylinux2014 = glibc 2.17,
# which every Lambda Python runtime's Amazon Linux satisfies).
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


@dataclass(frozen=True)
class PipTarget:
    """Which wheels pip picks: Lambda's platform and Python version, not this machine's."""

    platform: str  # e.g. manylinux2014_aarch64
    python_version: str  # e.g. 3.13

    @classmethod
    def of(cls, runtime_name: str, architecture_name: str) -> PipTarget:
        """From a Lambda runtime name (``python3.13``) and architecture name (``arm64``)."""
        if not runtime_name.startswith("python"):
            raise ValueError(f"not a Python runtime: {runtime_name}")
        return cls(PLATFORMS[architecture_name], runtime_name.removeprefix("python"))

    def pip_arguments(self) -> list[str]:
        return [
            "--platform", self.platform,
            "--implementation", "cp",
            "--python-version", self.python_version,
            "--only-binary=:all:",
        ]  # fmt: skip


def read_pins(requirements: Path) -> dict[str, str]:
    """``name -> version`` from a requirements file that holds exact pins only (and comments)."""
    pins: dict[str, str] = {}
    for number, raw in enumerate(requirements.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        found = _PIN.match(line)
        if not found:
            raise ValueError(f"{requirements}:{number}: only exact pins (name==version) are allowed: {raw!r}")
        pins[found.group(1)] = found.group(2)
    return pins


def dist_info_name(name: str, version: str) -> str:
    """The ``*.dist-info`` folder a wheel of ``name==version`` installs (its name normalized)."""
    return f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}.dist-info"


def install(requirements: Path, target: PipTarget) -> Path:
    """The folder holding ``requirements``' pins installed for ``target`` (cached; built once)."""
    pins = read_pins(requirements)
    specifiers = [f"{name}=={version}" for name, version in sorted(pins.items())]
    key = hashlib.sha256(json.dumps([specifiers, target.platform, target.python_version]).encode())
    done = CACHE / key.hexdigest()[:20]
    if done.is_dir():
        return done
    CACHE.mkdir(parents=True, exist_ok=True)
    building = CACHE / f".{done.name}.{os.getpid()}.building"
    shutil.rmtree(building, ignore_errors=True)
    command = [
        sys.executable, "-m", "pip", "install",
        "--quiet", "--disable-pip-version-check", "--no-input", "--no-compile",
        "--target", str(building), *target.pip_arguments(), *specifiers,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if result.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        raise RuntimeError(
            f"pip could not install {requirements} for {target}: {result.stderr.strip()[-3000:]}"
        )
    _keep_only_the_packages(building)
    try:
        building.rename(done)
    except OSError:  # another synth finished the same install first: its copy is as good
        shutil.rmtree(building, ignore_errors=True)
    return done


def _keep_only_the_packages(folder: Path) -> None:
    """Drop what pip put outside the install folder proper (RECORD paths starting with ``..``)."""
    kept = {p.name for p in folder.glob("*.dist-info")}
    for record in folder.glob("*.dist-info/RECORD"):
        for line in record.read_text().splitlines():
            path = line.rsplit(",", 2)[0]
            if path and not path.startswith(".."):
                kept.add(Path(path).parts[0])
    for entry in folder.iterdir():
        if entry.name not in kept:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()


def copy_folder(folder: Path, output: Path, exclude: Sequence[str]) -> None:
    """The function's own files into ``output``: symlinks followed, ``exclude`` patterns (matched
    against every path part, as the asset test reads them) left out."""

    def ignored(_: str, names: list[str]) -> set[str]:
        return {name for name in names if any(fnmatch(name, pattern) for pattern in exclude)}

    shutil.copytree(folder, output, symlinks=False, ignore=ignored, dirs_exist_ok=True)


@jsii.implements(ILocalBundling)
class PipLocalBundling:
    """CDK local bundling of one function folder: its files plus its installed requirements.

    CDK calls ``try_bundle`` with the output folder only, so the bundler knows its source folder.
    It never answers False: that would make CDK try Docker, which synth must not need.
    """

    def __init__(self, folder: Path, exclude: Sequence[str], target: PipTarget) -> None:
        self.folder = folder
        self.exclude = list(exclude)
        self.target = target

    @jsii.member(jsii_name="tryBundle")
    def try_bundle(self, output_dir: str, options: BundlingOptions) -> bool:
        output = Path(output_dir)
        copy_folder(self.folder, output, self.exclude)
        installed = install(self.folder / REQUIREMENTS, self.target)
        clashes = sorted({p.name for p in installed.iterdir()} & {p.name for p in output.iterdir()})
        if clashes:
            raise RuntimeError(f"{self.folder}: installed packages would overwrite its own files {clashes}")
        shutil.copytree(installed, output, dirs_exist_ok=True)
        return True
