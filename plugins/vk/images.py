"""VK's own limits on a wall photo; reading the image itself is :mod:`hub.images`.

VK takes JPEG, PNG and GIF for wall photos, up to 50 MB, with width + height at
most 14,000 px and sides no more than 1:20 apart (dev.vk.com/en/api/upload/wall-photo).
The plugin checks a draft's photos against that the day the draft is written, and
the emulator's upload server applies the same rule, so both read the limits here.
"""

from __future__ import annotations

MAX_BYTES = 50 * 1024 * 1024
MAX_SIDES_SUM = 14_000
MAX_ASPECT = 20


def problems(width: int, height: int) -> list[str]:
    """What VK would refuse about an image of this size, in plain words."""
    out = []
    if width + height > MAX_SIDES_SUM:
        out.append(
            f"is {width}×{height} px; VK takes at most {MAX_SIDES_SUM:,} px of width plus height"
        )
    if max(width, height) > MAX_ASPECT * min(width, height):
        out.append(f"is {width}×{height} px; VK takes sides at most 1:{MAX_ASPECT} apart")
    return out
