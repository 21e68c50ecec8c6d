"""Small files the tests upload: solid-colour PNGs and zip archives, built in memory."""
import io
import zipfile

from PIL import Image


def png(color=(200, 30, 30), size=(10, 12), mode="RGB") -> bytes:
    """A PNG of one colour; `size` is (width, height); gray modes take the colour's first value,
    RGBA adds half transparency."""
    fill = color if mode in ("RGB", "RGBA") else (color[0] if isinstance(color, tuple) else color)
    if mode == "RGBA":
        fill = tuple(color) + (128,)
    buf = io.BytesIO()
    Image.new(mode, size, fill).save(buf, format="PNG")
    return buf.getvalue()


def make_zip(members: dict, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """A zip archive of {name: bytes or text}."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buf.getvalue()
