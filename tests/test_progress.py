import io

from hub.progress import TerminalProgress


def test_bar_on_a_terminal():
    stream = io.StringIO()
    progress = TerminalProgress(stream, min_interval=0, enabled=True)
    with progress:
        progress.update("posts", 100)
        progress.update("comments_total", 40)
        progress.update("comments", 10)
        assert progress.line() == (
            "syncing: 100 posts read; comments of posts [#######-----------------------] 10/40"
        )
    assert stream.getvalue().endswith("\r\033[K") and "10/40" in stream.getvalue()


def test_silent_when_not_a_terminal():
    stream = io.StringIO()
    with TerminalProgress(stream) as progress:
        progress.update("posts", 5)
    assert stream.getvalue() == ""
