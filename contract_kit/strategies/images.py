"""Images an image part can carry: small, decodable PNG, JPEG, GIF and WEBP files, or links to such files.

Part of what :mod:`contract_kit.strategies.knowledge` knows beyond the schema:
the schema says ``image_url.url`` is a string; a server needs a decodable image
(the formats the vendor's ``detail`` description lists). PNG and GIF are built
here with zlib and struct, no imaging library needed.
"""

from __future__ import annotations

import base64
import struct
import zlib
from functools import cache

from hypothesis import strategies as st

from contract_kit.strategies import pools

# Made once with Pillow and checked to decode in tests/strategies/test_strategies.py.
# JPEG and WEBP need real encoders, so they are constants; PNG and GIF are built
# per example below, with the drawn size and colour.
JPEG_IMAGES = (
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABsSFBcUERsXFhceHBsgKEIrKCUlKFE6PTBCYFVlZF9VXVtqeJmBanGQc1tdhbWGkJ6jq62rZ4C8yb"
    "qmx5moq6T/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAAAP/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AP//Z",
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDACgcHiMeGSgjISMtKygwPGRBPDc3PHtYXUlkkYCZlo+AjIqgtObDoKrarYqMyP/L2u71////m8H//"
    "//6/+b9//j/2wBDASstLTw1PHZBQXb4pYyl+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj4+Pj/wAARCAAB"
    "AAIDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAT/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFQEBAQAAAAAAAAAAAAAAAAAAAgT/xAAU"
    "EQEAAAAAAAAAAAAAAAAAAAAA/9oADAMBAAIRAxEAPwCYAF7/2Q==",
)
WEBP_IMAGES = (
    "UklGRhwAAABXRUJQVlA4TBAAAAAvAAAAAAdQwOh//wMR0f8A",
    "UklGRjQAAABXRUJQVlA4ICgAAABwAQCdASoCAAIAB0CWJaACdAFAAAD+5zD/+Fa/la/lavG4ElaswgAA",
    "UklGRh4AAABXRUJQVlA4TBEAAAAvAAAAEAdQ5CqUp4CBiOh/AAA=",
)
IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "gif", "webp")
IMAGE_HOSTS = ("example.com", "images.example.org", "cdn.example.net")
_PNG_CHANNELS = {0: 1, 2: 3, 6: 4}  # grey, RGB, RGBA at 8 bits
PALETTE = ((0, 0, 0, 255), (255, 255, 255, 0), (200, 30, 60, 128), (0, 128, 255, 255), (250, 200, 0, 64))


def png_bytes(width: int, height: int, color_type: int, color: tuple[int, ...]) -> bytes:
    """A valid PNG of one colour, built with zlib: signature, IHDR, IDAT, IEND."""
    channels = _PNG_CHANNELS[color_type]
    pixel = bytes(color[:channels]) if channels > 1 else bytes(color[:1])
    rows = b"".join(b"\x00" + pixel * width for _ in range(height))  # filter 0 on every row
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def gif_bytes(color: tuple[int, ...]) -> bytes:
    """A valid 1x1 GIF89a whose one pixel has ``color``.

    The image data is the LZW code stream clear(4), 0, end(5) at 3 bits per
    code, packed least significant bit first: ``0x44 0x01``.
    """
    screen = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0)  # global table of 2 colours
    palette = bytes(color) + b"\x00\x00\x00"
    image = b"," + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
    return screen + palette + image + b"\x02\x02\x44\x01\x00;"


def data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


@cache
def image_data_uris() -> st.SearchStrategy[str]:
    """``data:`` URIs of small, decodable PNG, JPEG, GIF and WEBP images."""
    colors = st.sampled_from(PALETTE)
    pngs = st.builds(
        png_bytes, st.integers(1, 4), st.integers(1, 4), st.sampled_from(sorted(_PNG_CHANNELS)), colors
    )
    gifs = st.builds(gif_bytes, colors.map(lambda color: color[:3]))
    strategy = st.one_of(
        pngs.map(lambda data: data_uri("image/png", data)),
        st.sampled_from(JPEG_IMAGES).map(lambda b64: f"data:image/jpeg;base64,{b64}"),
        gifs.map(lambda data: data_uri("image/gif", data)),
        st.sampled_from(WEBP_IMAGES).map(lambda b64: f"data:image/webp;base64,{b64}"),
    )
    return pools.remember(strategy, _image_data_samples())


def _image_data_samples() -> tuple[str, ...]:
    """One image of each format, and PNGs of each colour type: what a precompiled part carries."""
    pngs = [
        png_bytes(1 + kind % 3, 1 + kind % 2, kind, PALETTE[kind % len(PALETTE)]) for kind in _PNG_CHANNELS
    ]
    return (
        *(data_uri("image/png", data) for data in pngs),
        f"data:image/jpeg;base64,{JPEG_IMAGES[0]}",
        data_uri("image/gif", gif_bytes(PALETTE[2][:3])),
        f"data:image/webp;base64,{WEBP_IMAGES[0]}",
    )


@cache
def image_links() -> st.SearchStrategy[str]:
    """http(s) URLs of image files on reserved example domains (nothing is ever fetched)."""
    path = st.sampled_from(("cat", "charts/q3", "photos/2024/paris", "a/b/c/d", "img_01"))
    query = st.sampled_from(("", "?v=2", "?size=small&format=raw"))
    strategy = st.builds(
        "{}://{}/{}.{}{}".format,
        st.sampled_from(("https", "http")),
        st.sampled_from(IMAGE_HOSTS),
        path,
        st.sampled_from(IMAGE_EXTENSIONS),
        query,
    )
    return pools.remember(
        strategy, (f"https://{IMAGE_HOSTS[0]}/cat.png", f"http://{IMAGE_HOSTS[1]}/charts/q3.webp?v=2")
    )


@cache
def image_urls() -> st.SearchStrategy[str]:
    """An image, most often one made in advance (a PNG or GIF built per example costs half a dozen choices)."""
    return pools.pooled(pools.one_of([image_data_uris(), image_links()]))
