"""Attachments by URL: a picture is downloaded when the draft is written, a page stays a link."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hub.errors import ConfigError
from hub.plan.attachments import check_attachments, download_image, is_image_url

JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4
PAGES = {
    "/news/1": (200, b"<html>news</html>"),
    "/img/park.jpg": (200, JPEG),
    "/img/missing.png": (404, b"not found"),
    "/img/fake.png": (200, b"<html>not a picture</html>"),
    "/img/huge.gif": (200, b"GIF89a" + b"\0" * (11 * 1024 * 1024)),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        if self.path == "/img/trickle.jpg":  # a byte every 0.2 s: never silent long enough
            self.send_response(200)
            self.send_header("Content-Length", str(len(JPEG)))
            self.end_headers()
            for byte in JPEG[:40]:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.2)
            return
        status, body = PAGES.get(self.path, (404, b""))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        return


@pytest.fixture(scope="module")
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_picture_by_url_is_kept_a_page_stays_a_link(site, tmp_path):
    out = check_attachments([f"{site}/img/park.jpg", f"{site}/news/1"], tmp_path / "att")
    assert out[1] == f"{site}/news/1"
    kept = tmp_path / "att" / out[0].rsplit("/", 1)[1]
    assert kept.read_bytes() == JPEG and kept.suffix == ".jpg"
    again = check_attachments([f"{site}/img/park.jpg"], tmp_path / "att")
    assert again == [out[0]]  # the same picture is kept once
    assert not list((tmp_path / "att").glob("*.part"))


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/img/missing.png", "answered HTTP 404"),
        ("/img/fake.png", "is not a JPEG, PNG or GIF"),
        ("/img/huge.gif", "over 10 MB"),
    ],
)
def test_a_bad_picture_is_refused_in_one_line(site, tmp_path, path, message):
    with pytest.raises(ConfigError, match=message):
        check_attachments([site + path], tmp_path / "att")
    assert not (tmp_path / "att").exists() or not list((tmp_path / "att").iterdir())


def test_a_trickling_picture_stops_at_the_total_deadline(site, tmp_path):
    started = time.monotonic()
    with pytest.raises(ConfigError, match="took over 1 s to download"):
        download_image(f"{site}/img/trickle.jpg", tmp_path, timeout=5, total_seconds=1)
    assert time.monotonic() - started < 4  # not the 8 s the whole trickle would take


def test_an_unreachable_picture_and_a_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot download the image"):
        check_attachments(["http://127.0.0.1:9/a.jpg"], tmp_path)
    with pytest.raises(ConfigError, match="is not a file here"):
        check_attachments([str(tmp_path / "nope.jpg")], tmp_path)


def test_what_counts_as_a_picture_url():
    assert is_image_url("https://klochki.ru/img/Park.JPG")
    assert is_image_url("https://klochki.ru/a.png?size=big")
    assert not is_image_url("https://klochki.ru/news/jpg")
    assert not is_image_url("/home/smm/park.jpg")
