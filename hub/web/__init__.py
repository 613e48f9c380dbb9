"""The web console (issue 16): ``hub web`` and ``hub daemon --web``; see :mod:`hub.web.app`."""
