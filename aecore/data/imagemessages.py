"""The messages aecore.data.images puts in its ImageErrors: what the file is, the limit, and the fix.

Limits are passed in by the caller, so a message always quotes the limit that was checked.
"""

_FORMAT_LIST = "PNG, JPEG, BMP, GIF or WebP"
# Magic bytes of formats people often try, to say what a refused file is: (offset, bytes, name).
_KNOWN_SIGNATURES = (
    (0, b"\x89PNG", "PNG"), (0, b"\xff\xd8\xff", "JPEG"), (0, b"BM", "BMP"), (0, b"GIF8", "GIF"),
    (8, b"WEBP", "WebP"), (0, b"II*\x00", "TIFF"), (0, b"MM\x00*", "TIFF"), (0, b"%PDF", "PDF"),
    (4, b"ftypheic", "HEIC"), (4, b"ftypheix", "HEIC"), (4, b"ftypmif1", "HEIF"),
    (4, b"ftypavif", "AVIF"), (0, b"8BPS", "Photoshop (PSD)"),
)


def unreadable(name: str, data: bytes) -> str:
    """Say what the bytes look like: a broken supported image, another format, or not an image."""
    kinds = [label for offset, magic, label in _KNOWN_SIGNATURES if data[offset:].startswith(magic)]
    if kinds and kinds[0] in ("PNG", "JPEG", "BMP", "GIF", "WebP"):
        return (
            f"{name} looks like a {kinds[0]} image but is truncated or corrupt. "
            "Re-save it, or choose another file."
        )
    found = f" is a {kinds[0]} file, which" if kinds else ""
    return f"{name}{found} is not a {_FORMAT_LIST} image. Save it as PNG and try again."


def too_many_bytes(name: str, size: int, limit: int) -> str:
    """`size` bytes is over the upload limit of `limit` bytes."""
    return (
        f"{name} is {size / 2**20:.1f} MB ({size:,} bytes); the upload limit is "
        f"{limit / 2**20:.0f} MB. Shrink or re-compress the image and try again."
    )


def too_many_pixels(name: str, pixels: int | None, limit: int, size_text: str = "") -> str:
    """`pixels` (None when unknown) is over `limit`; size_text like " (9000x9000)" is appended."""
    amount = f"{pixels:,} pixels{size_text}" if pixels else "too many pixels"
    return (
        f"{name} has {amount}; the limit is {limit:,} pixels. "
        "Resize it to a few hundred pixels per side and try again."
    )
