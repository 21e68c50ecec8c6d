"""Pictures for the convolution pages: safe decoding of uploads, built-in photos, grayscale, resizing.

Every image leaves this module as a float64 array of shape (H, W, C) in the 0..255 pixel range,
with C = 1 (grayscale) or C = 3 (RGB). Uploads are checked before their pixels are decoded
(byte size, then the pixel count the header claims) and every failure becomes an
`EngineError('bad_image', reason=CODE)` or `EngineError('image_too_large', pixels, limit)`.

`LoadedImage.notes` lists stable codes of what decoding did, for a page to translate:
'first_frame', 'alpha_flattened', 'palette_converted', 'cmyk_converted', 'color_converted',
'sixteen_bit_scaled', 'float_scaled', 'scaled'.
"""
from __future__ import annotations

from functools import lru_cache

import io
import re
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image

from engine import checks, config
from engine.errors import as_float_array, EngineError, require_finite

WORKING_SIZE = 128
MAX_UPLOAD_BYTES = config.MAX_IMAGE_BYTES  # one picture (CONVLAB_MAX_IMAGE_MB)
MAX_PIXELS = 40_000_000
BUILTIN_PHOTOS = ("cat", "astronaut", "coffee", "camera")

# reason codes of EngineError('bad_image', reason=...)
BAD_IMAGE_REASONS = ("empty_file", "file_too_large", "not_an_image", "unsupported_format",
                     "corrupt", "decompression_bomb", "unsupported_mode")

# formats accepted for uploads: the common raster formats of phones, browsers and editors
UPLOAD_FORMATS = ("PNG", "JPEG", "MPO", "BMP", "DIB", "GIF", "WEBP", "TIFF", "PPM", "ICO",
                  "AVIF", "QOI")
_SKIMAGE_NAMES = {"cat": "chelsea", "astronaut": "astronaut", "coffee": "coffee",
                  "camera": "camera"}
_LUMA_601 = np.array([0.299, 0.587, 0.114])
# other modes -> (target mode, note or None)
_COLOR_MODES = {"CMYK": ("RGB", "cmyk_converted"), "YCbCr": ("RGB", "color_converted"),
                "LAB": ("RGB", "color_converted"), "HSV": ("RGB", "color_converted"),
                "RGBX": ("RGB", None), "RGBa": ("RGBA", None), "La": ("LA", None)}
_HIGH_BIT_MODES = ("I", "I;16", "I;16L", "I;16B", "I;16N", "F")


@dataclass(frozen=True)
class LoadedImage:
    """A decoded picture ready for the engine.

    pixels: (H, W, C) float64 in 0..255, C = 1 or 3. original_size: (H, W) as decoded.
    scaled: True when resized to the working size. notes: stable codes of what was done.
    """

    pixels: np.ndarray
    original_size: tuple[int, int]
    scaled: bool
    notes: tuple[str, ...]


def _bad(reason: str) -> EngineError:
    return EngineError("bad_image", reason=reason)


def _check_side(max_side: object) -> int:
    """max_side as a positive int, else EngineError('bad_hyperparameter')."""
    if not checks.is_int(max_side) or max_side < 1:
        raise EngineError("bad_hyperparameter", name="max_side", value=max_side)
    return int(max_side)


def fitted_size(height: int, width: int, max_side: int) -> tuple[int, int]:
    """(H, W) scaled so the longest side equals max_side, aspect kept, each side >= 1."""
    factor = max_side / max(height, width)
    return max(1, round(height * factor)), max(1, round(width * factor))


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Image.open restricted to UPLOAD_FORMATS; reads only the header.

    Pillow's own decompression-bomb error and warning become 'image_too_large' when the
    claimed pixel count exceeds max_pixels, else bad_image('decompression_bomb').
    """
    Image.init()
    formats = [name for name in UPLOAD_FORMATS if name in Image.OPEN]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", Image.DecompressionBombWarning)
        try:
            im = Image.open(io.BytesIO(data), formats=formats)
        except Image.DecompressionBombError as exc:
            raise _bomb(str(exc), max_pixels) from exc
        except Exception as exc:  # noqa: BLE001 - any parser failure: not a picture we read
            raise _bad(_unreadable_reason(data)) from exc
    try:
        _check_pixels(im, max_pixels)
        if any(issubclass(w.category, Image.DecompressionBombWarning) for w in caught):
            raise _bad("decompression_bomb")
    except EngineError:
        im.close()
        raise
    return im


def _bomb(message: str, max_pixels: int) -> EngineError:
    """EngineError for Pillow's DecompressionBombError, using the pixel count it states."""
    found = re.search(r"\((\d+) pixels\)", message)
    if found and int(found.group(1)) > max_pixels:
        return EngineError("image_too_large", pixels=int(found.group(1)), limit=max_pixels)
    return _bad("decompression_bomb")


def _unreadable_reason(data: bytes) -> str:
    """'unsupported_format' when some other Pillow plugin recognises the bytes, else 'not_an_image'."""
    try:
        with Image.open(io.BytesIO(data)):
            return "unsupported_format"
    except Exception:  # noqa: BLE001
        return "not_an_image"


def _first_frame(im: Image.Image) -> list[str]:
    """Make sure frame 0 is current; ['first_frame'] when the file is animated."""
    try:
        animated = bool(getattr(im, "is_animated", False))
        if animated:
            im.seek(0)
    except Exception as exc:  # noqa: BLE001
        raise _bad("corrupt") from exc
    return ["first_frame"] if animated else []


def _check_pixels(im: Image.Image, max_pixels: int) -> None:
    """Refuse images whose header claims more than max_pixels (nothing decoded yet)."""
    pixels = im.width * im.height
    if pixels > max_pixels:
        raise EngineError("image_too_large", pixels=pixels, limit=max_pixels)
    if pixels == 0:
        raise _bad("corrupt")


def _load(im: Image.Image) -> None:
    """Force the full decode of the current frame."""
    try:
        im.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bad("decompression_bomb") from exc
    except Exception as exc:  # noqa: BLE001 - truncated or damaged data
        raise _bad("corrupt") from exc


def _normalise_mode(im: Image.Image) -> tuple[Image.Image, list[str]]:
    """Convert to one of L, RGB, LA, RGBA or F (high bit depth); notes of what changed."""
    mode = im.mode
    if mode in ("L", "RGB", "LA", "RGBA"):
        return im, []
    if mode == "1":
        return im.convert("L"), []
    if mode in ("P", "PA"):
        return _from_palette(im)
    if mode in _HIGH_BIT_MODES:
        return im.convert("F"), []
    if mode in _COLOR_MODES:
        target, note = _COLOR_MODES[mode]
        return im.convert(target), [note] if note else []
    raise _bad("unsupported_mode")


def _from_palette(im: Image.Image) -> tuple[Image.Image, list[str]]:
    """P/PA -> RGBA when transparency is present, else RGB (L when the palette is gray)."""
    if im.mode == "PA" or im.has_transparency_data:
        return im.convert("RGBA"), ["palette_converted"]
    rgb = im.convert("RGB")
    return (rgb.convert("L") if _palette_is_gray(im) else rgb), ["palette_converted"]


def _palette_is_gray(im: Image.Image) -> bool:
    """True when every palette entry the P image uses has R == G == B."""
    palette = np.zeros(768, dtype=np.int64)
    entries = im.getpalette("RGB") or []
    palette[:len(entries)] = entries[:768]
    used = np.array([index for _, index in im.getcolors(256) or []], dtype=np.int64)
    rows = palette.reshape(256, 3)[used]
    return bool(np.all(rows == rows[:, :1]))


def _resize_pil(im: Image.Image, max_side: int) -> Image.Image:
    """Shrink so the longest side is max_side (LANCZOS, 8-bit modes reduced first for speed)."""
    height, width = fitted_size(im.height, im.width, max_side)
    gap = None if im.mode == "F" else 3.0
    return im.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=gap)


def _scale_high_bit(arr: np.ndarray, mode: str, extrema: tuple[float, float]) -> np.ndarray:
    """Map 16/32-bit integer or float samples to 0..255.

    I;16*: value * 255 / 65535. I (32-bit): the same when every value is in 0..65535, else its
    real min..max range is stretched to 0..255. F: kept when in 0..255, times 255 when in
    0..1, else stretched. `arr` is (H, W) float64 of the (maybe resized) samples; `extrema` is
    (min, max) of the samples as decoded, before resizing.
    """
    low, high = float(extrema[0]), float(extrema[1])
    if not (np.isfinite(low) and np.isfinite(high)):
        low, high = float(np.min(arr)), float(np.max(arr))
    if mode.startswith("I;16") or (mode == "I" and low >= 0 and high <= 65535):
        return arr * (255.0 / 65535.0)
    if mode == "F" and low >= 0 and high <= 1:
        return arr * 255.0
    if mode == "F" and low >= 0 and high <= 255:
        return arr
    span = high - low
    return (arr - low) * (255.0 / span) if span > 0 else np.zeros_like(arr)


def _flatten_alpha(arr: np.ndarray) -> np.ndarray:
    """(H, W, C+1) colour + alpha in 0..255 -> (H, W, C) composited on white."""
    alpha = arr[..., -1:] / 255.0
    return arr[..., :-1] * alpha + 255.0 * (1.0 - alpha)


def _to_array(im: Image.Image, source_mode: str,
              extrema: tuple[float, float]) -> tuple[np.ndarray, list[str]]:
    """Pillow image (L, RGB, LA, RGBA or F) -> (H, W, C) float64 0..255, C = 1 or 3."""
    arr = np.asarray(im, dtype=np.float64)
    notes: list[str] = []
    if im.mode == "F":
        arr = np.nan_to_num(arr, nan=0.0, posinf=0.0, neginf=0.0)
        arr = _scale_high_bit(arr, source_mode, extrema)
        notes.append("float_scaled" if source_mode == "F" else "sixteen_bit_scaled")
    if arr.ndim == 2:
        arr = arr[..., None]
    if im.mode in ("LA", "RGBA"):
        arr = _flatten_alpha(arr)
        notes.append("alpha_flattened")
    return np.clip(arr, 0.0, 255.0), notes


def _decode(im: Image.Image, max_side: int) -> LoadedImage:
    """Opened and loaded Pillow image -> LoadedImage, shrunk to max_side when larger."""
    original = (im.height, im.width)
    source_mode = im.mode
    im, notes = _normalise_mode(im)
    extrema = im.getextrema() if im.mode == "F" else (0.0, 255.0)
    scaled = max(original) > max_side
    if scaled:
        im = _resize_pil(im, max_side)
    pixels, more = _to_array(im, source_mode, extrema)
    notes = notes + more + (["scaled"] if scaled else [])
    return LoadedImage(pixels, original, scaled, tuple(dict.fromkeys(notes)))


def decode_upload(data: bytes, max_side: int = WORKING_SIZE, max_bytes: int = MAX_UPLOAD_BYTES,
                  max_pixels: int = MAX_PIXELS) -> LoadedImage:
    """Decode uploaded file bytes into a LoadedImage with pixels (H, W, C) float64 0..255.

    Checks in order: empty, larger than max_bytes, recognisable format, pixel count from the
    header (> max_pixels -> 'image_too_large' before any pixel is decoded), full decode
    (truncated or damaged -> 'corrupt'). Then: first frame of animations, palettes and other
    colour spaces to RGB (or L), alpha composited on white, 16-bit samples scaled to 0..255,
    and a LANCZOS shrink so the longest side is at most max_side (aspect kept).
    """
    max_side = _check_side(max_side)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise _bad("not_an_image")
    data = bytes(data)
    if len(data) == 0:
        raise _bad("empty_file")
    if len(data) > max_bytes:
        raise _bad("file_too_large")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with _open(data, max_pixels) as im:
            notes = _first_frame(im)
            _load(im)
            try:
                loaded = _decode(im, max_side)
            except EngineError:
                raise
            except Exception as exc:  # noqa: BLE001 - a conversion Pillow cannot do
                raise _bad("unsupported_mode") from exc
    return LoadedImage(loaded.pixels, loaded.original_size, loaded.scaled,
                       tuple(notes) + loaded.notes)


def builtin_photo(name: str, max_side: int = WORKING_SIZE) -> LoadedImage:
    """One of BUILTIN_PHOTOS from scikit-image's shipped data, (H, W, 3) or (H, W, 1) for 'camera'.

    Shrunk with LANCZOS so the longest side is at most max_side.
    """
    max_side = _check_side(max_side)
    if name not in _SKIMAGE_NAMES:
        raise EngineError("bad_hyperparameter", name="photo", value=name)
    return _decode(Image.fromarray(_skimage_pixels(name)), max_side)


@lru_cache(maxsize=None)
def _skimage_pixels(name: str) -> np.ndarray:
    """scikit-image's photo `name`, decoded once per process (read-only: it is shared)."""
    import skimage.data

    raw = np.asarray(getattr(skimage.data, _SKIMAGE_NAMES[name])())
    raw.setflags(write=False)
    return raw


def to_grayscale(pixels: object) -> np.ndarray:
    """(H, W, 3) -> (H, W, 1) with ITU-R 601 luma 0.299 R + 0.587 G + 0.114 B; (H, W, 1) as is."""
    arr = as_float_array("pixels", pixels, ndim=3).astype(np.float64, copy=False)
    if arr.shape[-1] == 1:
        return arr.copy()
    if arr.shape[-1] != 3:
        raise EngineError("bad_shape", name="pixels", expected="(H, W, 1) or (H, W, 3)",
                          got=str(arr.shape))
    return (arr @ _LUMA_601)[..., None]


def resize_to(pixels: object, max_side: int) -> np.ndarray:
    """(H, W, C) -> (H', W', C) float64 whose longest side equals max_side, aspect kept.

    Shrinks or enlarges with Pillow's LANCZOS on each channel in float precision; the result
    is clipped to the input's own min..max range so ringing never leaves it.
    """
    max_side = _check_side(max_side)
    arr = as_float_array("pixels", pixels, ndim=3).astype(np.float64, copy=False)
    require_finite("pixels", arr)
    height, width = fitted_size(arr.shape[0], arr.shape[1], max_side)
    if (height, width) == arr.shape[:2]:
        return arr.copy()
    channels = [np.asarray(Image.fromarray(arr[..., c].astype(np.float32))
                           .resize((width, height), Image.Resampling.LANCZOS), dtype=np.float64)
                for c in range(arr.shape[-1])]
    return np.clip(np.stack(channels, axis=-1), arr.min(), arr.max())
