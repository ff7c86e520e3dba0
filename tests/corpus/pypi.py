"""Real PyPI distributions for corpus tests, pinned by exact version and sha256.

API (small on purpose, for any reader's corpus):

- ``MANIFEST``: name -> :class:`Distribution` (exact file name, version and sha256);
- :func:`unpacked(name)`: the folder the distribution unpacks to (its top folder, e.g.
  ``.../wger-2.1``), downloaded and unpacked once into the cache;
- the session fixture ``corpus_dist`` (``tests/corpus/conftest.py``) is ``unpacked``.

The cache is ``$PREPCTL_CORPUS_CACHE`` or ``~/.cache/prepctl-corpus``, outside the repository. A
download goes through PyPI's JSON API (``https://pypi.org/pypi/NAME/json``, falling back to
``/pypi/NAME/VERSION/json``) for the file's URL. A network failure, a missing file or a sha256
mismatch raises :class:`CorpusError`, which fails the test: nothing is skipped. Extraction refuses
absolute paths, ``..``, links and devices, so an archive cannot write outside its folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

PYPI = "https://pypi.org/pypi"
_DRIVE = re.compile(r"^[A-Za-z]:")
TIMEOUT = 120.0


class CorpusError(RuntimeError):
    """The corpus could not be fetched or verified: the test using it fails, loudly."""


@dataclass(frozen=True)
class Distribution:
    name: str  # the PyPI project name
    version: str
    filename: str  # the exact sdist or wheel file
    sha256: str
    why: str = ""  # what the corpus uses it for

    @property
    def folder(self) -> str:
        """The folder the archive unpacks to (sdists hold one top folder; wheels get their stem)."""
        for suffix in (".tar.gz", ".zip", ".whl"):
            if self.filename.endswith(suffix):
                return self.filename[: -len(suffix)]
        return self.filename


MANIFEST: dict[str, Distribution] = {d.name: d for d in (
    Distribution("apache-superset", "5.0.0", "apache_superset-5.0.0.tar.gz",
                 "f9f8e98d2c39f333282c43d46bbc7a6d9099168adfb4275f33af1da45ea0449b",
                 "DEFAULT_FEATURE_FLAGS dict, computed env defaults in superset/config.py"),
    Distribution("apache-airflow-core", "3.3.2", "apache_airflow_core-3.3.2.tar.gz",
                 "53f38e7749a2689a1d67c6e661284ecddaa687c1f7f3cae2d76b2eca7758210f",
                 "config.yml schema defaults, INI fallback defaults, ui/.env.example"),
    Distribution("apache-airflow-providers-celery", "3.26.0", "apache_airflow_providers_celery-3.26.0.tar.gz",
                 "eff3e4474f28efc101ebcb4fadb4536ef579514273c8ce753fef816bf1196890",
                 "provider.yaml config schema defaults"),
    Distribution("open-webui", "0.12.4", "open_webui-0.12.4.tar.gz",
                 "04bff683181768a4c0ab32cd7b4f208f512622fe0066b4e5df22a05a96ac4628",
                 "os.getenv(...).lower() == 'true' defaults, .env.example, docker-compose.yaml"),
    Distribution("wger", "2.1", "wger-2.1.tar.gz",
                 "329d410cff8191a3a47286fb7f2a0c9f6dc397c04e996331fe99d18a99117e3f",
                 "django-environ scheme and env.bool in a Django settings.py"),
    Distribution("saleor", "2.10.1", "saleor-2.10.1.tar.gz",
                 "252931a2e9ac7115de347165812819528fde9e55598994cb4dff341f1fec496b",
                 "Django settings.py with its own get_bool_from_env helper"),
    Distribution("pretalx", "2026.2.1", "pretalx-2026.2.1.tar.gz",
                 "0017e11e67f853cede833aeeba773e838968d2f7c5d010471c77e17a71c50a3b",
                 "INI example config, CONFIG schema dict with env reads"),
    Distribution("mlflow", "3.18.0", "mlflow-3.18.0.tar.gz",
                 "04e912d5b154b417c5930ba47ef3dc2f74738fb3ba93e3d70499955ec8884540",
                 "basic_auth.ini, environment_variables.py"),
    Distribution("prefect", "3.9.1", "prefect-3.9.1.tar.gz",
                 "56f091cd49a06e6c3f98eea93648208f6750361d1dd0aeb60b5faa0e9cb5c458",
                 "pydantic BaseSettings with env_prefix"),
    Distribution("weblate", "2026.10.1", "weblate-2026.10.1.tar.gz",
                 "2da6d85241de0d26d759ead1736b0d1d0b1feac85fb4cd2462e8d2c8c851b4f4",
                 "Django settings_docker.py with helpers from another module, example compose"),
    Distribution("environs", "15.2.0", "environs-15.2.0.tar.gz",
                 "1bfc0d32b43692f28a6e294ad2b69903d43a214672ebcf3124a66d66b52b2418",
                 "environs typed reads"),
    Distribution("fastmcp", "2.10.6", "fastmcp-2.10.6.tar.gz",
                 "5a7b3301f9f1b64610430caef743ac70175c4b812e1949f037e4db65b0a42c5a",
                 "BaseSettings whose env prefixes come from a custom settings source"),
    Distribution("zenml", "0.98.0", "zenml-0.98.0.tar.gz",
                 "ed221d95f1992395081b0a4aa3fbe127b6481f9efb3d5d1070ace20da8f8075f",
                 "plain pydantic BaseModel server config filled by a ZENML_SERVER_ loader"),
    Distribution("tutor", "22.0.3", "tutor-22.0.3.tar.gz",
                 "b47ef13882e829d842b8fff8d8d16d3977876d7492af772852afbe12c929d029",
                 "YAML config defaults, Kubernetes manifests, compose files"),
)}


def cache_dir() -> Path:
    configured = os.environ.get("PREPCTL_CORPUS_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "prepctl-corpus"


def unpacked(name: str) -> Path:
    """The unpacked top folder of distribution ``name``, fetched and verified once."""
    try:
        dist = MANIFEST[name]
    except KeyError:
        raise CorpusError(f"{name!r} is not in tests/corpus/pypi.py's MANIFEST") from None
    root = cache_dir()
    target = root / "unpacked" / dist.folder
    done = root / "unpacked" / f"{dist.folder}.complete"
    if done.is_file() and done.read_text() == dist.sha256 and target.is_dir():
        return target
    archive = root / "archives" / dist.filename
    if not (archive.is_file() and _sha256(archive) == dist.sha256):
        _download(dist, archive)
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=_mkdir(root / "unpacked")))
    try:
        safe_extract(archive, staging)
        top = staging / dist.folder
        if not top.is_dir():
            if dist.filename.endswith(".whl"):
                top = staging
            else:
                raise CorpusError(f"{dist.filename} does not unpack to {dist.folder}/")
        if target.exists():
            shutil.rmtree(target)
        top.rename(target)
        done.write_text(dist.sha256)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_url(dist: Distribution) -> str:
    """The download URL of ``dist.filename``, from PyPI's JSON API."""
    problems = []
    for api in (f"{PYPI}/{dist.name}/json", f"{PYPI}/{dist.name}/{dist.version}/json"):
        try:
            with urllib.request.urlopen(api, timeout=TIMEOUT) as response:
                data = json.load(response)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            problems.append(f"{api}: {exc}")
            continue
        files = data.get("releases", {}).get(dist.version) or data.get("urls", [])
        for item in files:
            if item.get("filename") == dist.filename:
                if item.get("digests", {}).get("sha256") != dist.sha256:
                    raise CorpusError(f"PyPI lists {dist.filename} with sha256 "
                                      f"{item.get('digests', {}).get('sha256')}, the manifest pins {dist.sha256}")
                # Mirrors answer with URLs relative to the API page.
                return urllib.parse.urljoin(api, item["url"])
        problems.append(f"{api}: no file {dist.filename}")
    raise CorpusError(f"cannot find {dist.filename} on PyPI: " + "; ".join(problems))


def _download(dist: Distribution, archive: Path) -> None:
    url = file_url(dist)
    _mkdir(archive.parent)
    partial = archive.with_name(archive.name + ".part")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as response, partial.open("wb") as out:
            for block in iter(lambda: response.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
    except (urllib.error.URLError, OSError) as exc:
        partial.unlink(missing_ok=True)
        raise CorpusError(f"download of {url} failed: {exc}") from exc
    if digest.hexdigest() != dist.sha256:
        partial.unlink(missing_ok=True)
        raise CorpusError(f"{dist.filename}: sha256 {digest.hexdigest()} != pinned {dist.sha256}")
    partial.replace(archive)


def _safe_member(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or name.startswith(("/", "\\")) or _DRIVE.match(name):
        raise CorpusError(f"unsafe path in archive: {name!r}")
    return path


def safe_extract(archive: Path, dest: Path) -> None:
    """Unpack a .tar.gz, .zip or .whl into ``dest``: regular files and folders only."""
    if archive.name.endswith((".zip", ".whl")):
        with zipfile.ZipFile(archive) as zipped:
            for info in zipped.infolist():
                rel = _safe_member(info.filename)
                if (info.external_attr >> 16) & 0o170000 == 0o120000:
                    raise CorpusError(f"link in archive: {info.filename!r}")
                out = dest.joinpath(*rel.parts)
                if info.is_dir():
                    out.mkdir(parents=True, exist_ok=True)
                    continue
                out.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(info) as src, out.open("wb") as dst:
                    shutil.copyfileobj(src, dst)
        return
    with tarfile.open(archive, "r:*") as tar:
        for member in tar:
            rel = _safe_member(member.name)
            if member.issym() or member.islnk():
                continue  # a link could point anywhere: settings files are never links
            if not (member.isfile() or member.isdir()):
                raise CorpusError(f"device or fifo in archive: {member.name!r}")
            out = dest.joinpath(*rel.parts)
            if member.isdir():
                out.mkdir(parents=True, exist_ok=True)
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is None:
                raise CorpusError(f"cannot read {member.name!r} from {archive.name}")
            with source, out.open("wb") as dst:
                shutil.copyfileobj(source, dst)
