"""Parser for the plain ``execute`` batching form the hub's client sends.

Real VKScript is a small language; our client only ever emits
``return [API.a.b({...}), ...];`` (the same shape as vk_api's request pool), so
that is all the emulator accepts — anything else is a compile error (12), which
makes an accidental change in the client's script format fail loudly in tests.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .methods import VkError

MAX_EXECUTE_CALLS = 25

_CALL_RE = re.compile(r"API\.([A-Za-z]\w*(?:\.[A-Za-z]\w*)?)\s*\(\s*")
COMPILE_ERROR = (12, "Unable to compile code")


def _skip_ws(code: str, pos: int) -> int:
    while pos < len(code) and code[pos].isspace():
        pos += 1
    return pos


def _param_value(value: Any) -> str:
    """VKScript literal → the string form a form-encoded request would carry."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list):
        return ",".join(_param_value(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def parse_execute(code: str) -> tuple[list[tuple[str, dict[str, str]]], bool]:
    """Parse ``return [API.a.b({...}), ...];`` or ``return API.a.b({...});``.

    Only this plain batching form is supported (it is what request pools emit);
    anything else is a compile error 12, as real VKScript would be for our client.
    Returns the calls and whether the script returns a single value.
    """
    decoder = json.JSONDecoder()
    match = re.match(r"\s*return\s+", code) or re.match(r"\s*return(?=\[)", code)
    if not match:
        raise VkError(*COMPILE_ERROR)
    pos = match.end()
    single = not code.startswith("[", pos)
    calls: list[tuple[str, dict[str, str]]] = []
    if not single:
        pos = _skip_ws(code, pos + 1)
    if not single and code.startswith("]", pos):
        pos += 1
    else:
        while True:
            call_match = _CALL_RE.match(code, pos)
            if not call_match:
                raise VkError(*COMPILE_ERROR)
            pos = call_match.end()
            args: Any = {}
            if not code.startswith(")", pos):
                try:
                    args, pos = decoder.raw_decode(code, pos)
                except ValueError:
                    raise VkError(*COMPILE_ERROR) from None
                if not isinstance(args, dict):
                    raise VkError(*COMPILE_ERROR)
                pos = _skip_ws(code, pos)
            if not code.startswith(")", pos):
                raise VkError(*COMPILE_ERROR)
            params = {k: _param_value(v) for k, v in args.items() if v is not None}
            calls.append((call_match.group(1), params))
            pos = _skip_ws(code, pos + 1)
            if single:
                break
            if code.startswith(",", pos):
                pos = _skip_ws(code, pos + 1)
                continue
            if code.startswith("]", pos):
                pos += 1
                break
            raise VkError(*COMPILE_ERROR)
    pos = _skip_ws(code, pos)
    if code.startswith(";", pos):
        pos = _skip_ws(code, pos + 1)
    if pos != len(code):
        raise VkError(*COMPILE_ERROR)
    if len(calls) > MAX_EXECUTE_CALLS:
        raise VkError(13, "Runtime error occurred during code invocation: Too many API calls")
    return calls, single
