"""The corpus fetcher itself, offline: a local server on 127.0.0.1 plays PyPI's JSON API."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import socket
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.corpus import pypi


def _sdist(members: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buffer.getvalue()


@pytest.fixture
def fake_pypi(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, bytes]]:
    """Serves /pypi/<name>/json and /files/<filename> from the dict it yields (filename -> bytes)."""
    files: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            parts = self.path.strip("/").split("/")
            if parts[0] == "pypi" and parts[-1] == "json":
                body = json.dumps({"releases": {"1.0": [
                    {"filename": name, "url": f"../../files/{name}",
                     "digests": {"sha256": hashlib.sha256(data).hexdigest()}}
                    for name, data in files.items()]}}).encode()
            elif parts[0] == "files" and parts[-1] in files:
                body = files[parts[-1]]
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(pypi, "PYPI", f"http://127.0.0.1:{server.server_address[1]}/pypi")
    monkeypatch.setenv("PREPCTL_CORPUS_CACHE", str(tmp_path / "cache"))
    try:
        yield files
    finally:
        server.shutdown()
        server.server_close()


def _pin(monkeypatch: pytest.MonkeyPatch, filename: str, sha256: str) -> None:
    dist = pypi.Distribution("demo", "1.0", filename, sha256)
    monkeypatch.setitem(pypi.MANIFEST, "demo", dist)


@pytest.mark.live
def test_download_verify_and_unpack_once(fake_pypi: dict[str, bytes], monkeypatch: pytest.MonkeyPatch):
    data = _sdist({"demo-1.0/settings.py": b"DEBUG = False\n"})
    fake_pypi["demo-1.0.tar.gz"] = data
    _pin(monkeypatch, "demo-1.0.tar.gz", hashlib.sha256(data).hexdigest())
    folder = pypi.unpacked("demo")
    assert (folder / "settings.py").read_bytes() == b"DEBUG = False\n"
    del fake_pypi["demo-1.0.tar.gz"]  # the second call must not touch the network
    assert pypi.unpacked("demo") == folder


@pytest.mark.live
def test_hash_mismatch_fails_loudly(fake_pypi: dict[str, bytes], monkeypatch: pytest.MonkeyPatch):
    fake_pypi["demo-1.0.tar.gz"] = _sdist({"demo-1.0/x.py": b"X = 1\n"})
    _pin(monkeypatch, "demo-1.0.tar.gz", "0" * 64)
    with pytest.raises(pypi.CorpusError, match="sha256"):
        pypi.unpacked("demo")


def test_unreachable_index_fails_loudly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again below: nothing listens there
    monkeypatch.setattr(pypi, "PYPI", f"http://127.0.0.1:{port}/pypi")
    monkeypatch.setenv("PREPCTL_CORPUS_CACHE", str(tmp_path / "cache"))
    _pin(monkeypatch, "demo-1.0.tar.gz", "0" * 64)
    with pytest.raises(pypi.CorpusError, match="cannot find demo-1.0.tar.gz"):
        pypi.unpacked("demo")


@pytest.mark.parametrize("members, links", [
    ({"demo-1.0/../escape.py": b"x"}, None),
    ({"/etc/evil": b"x"}, None),
])
def test_unsafe_archive_paths_are_refused(tmp_path: Path, members: dict[str, bytes], links: None):
    archive = tmp_path / "demo-1.0.tar.gz"
    archive.write_bytes(_sdist(members, links))
    with pytest.raises(pypi.CorpusError, match="unsafe path"):
        pypi.safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "escape.py").exists()


def test_links_are_not_extracted(tmp_path: Path):
    archive = tmp_path / "demo-1.0.tar.gz"
    archive.write_bytes(_sdist({"demo-1.0/a.py": b"A = 1\n"}, {"demo-1.0/passwd": "/etc/passwd"}))
    pypi.safe_extract(archive, tmp_path / "out")
    assert (tmp_path / "out" / "demo-1.0" / "a.py").is_file()
    assert not (tmp_path / "out" / "demo-1.0" / "passwd").exists()


def test_unknown_distribution_is_an_error():
    with pytest.raises(pypi.CorpusError, match="not in"):
        pypi.unpacked("no-such-distribution")
