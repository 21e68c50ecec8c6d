"""engine.data.images: every upload case is built in memory with Pillow and decoded back."""
import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from engine.errors import EngineError, ERROR_KEYS
from engine.data.images import (BAD_IMAGE_REASONS, BUILTIN_PHOTOS, MAX_PIXELS, WORKING_SIZE,
                           LoadedImage, builtin_photo, decode_upload, resize_to, to_grayscale)

RED = (200, 30, 40)


def encode(im: Image.Image, fmt: str = "PNG", **options) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, fmt, **options)
    return buffer.getvalue()


def bad_reason(data: bytes, **kwargs) -> str:
    with pytest.raises(EngineError) as info:
        decode_upload(data, **kwargs)
    assert info.value.key == "bad_image"
    assert info.value.params["reason"] in BAD_IMAGE_REASONS
    return info.value.params["reason"]


def png_claiming(width: int, height: int) -> bytes:
    """A 1x1 grayscale PNG whose IHDR is patched to claim width x height (pixel data stays tiny)."""
    data = bytearray(encode(Image.new("L", (1, 1))))
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return bytes(data)


# ---- formats and modes ----

@pytest.mark.parametrize("fmt, tol", [("PNG", 0), ("BMP", 0), ("GIF", 0), ("TIFF", 0),
                                      ("JPEG", 4), ("WEBP", 4)])
def test_rgb_in_every_common_format(fmt, tol):
    loaded = decode_upload(encode(Image.new("RGB", (20, 10), RED), fmt))
    assert isinstance(loaded, LoadedImage)
    assert loaded.pixels.shape == (10, 20, 3) and loaded.pixels.dtype == np.float64
    assert loaded.original_size == (10, 20) and not loaded.scaled
    np.testing.assert_allclose(loaded.pixels[5, 10], RED, atol=tol)


def test_grayscale_stays_one_channel():
    values = np.arange(60, dtype=np.uint8).reshape(6, 10) * 4
    loaded = decode_upload(encode(Image.fromarray(values)))
    assert loaded.pixels.shape == (6, 10, 1) and loaded.notes == ()
    np.testing.assert_array_equal(loaded.pixels[..., 0], values)


def test_rgba_is_composited_on_white():
    arr = np.zeros((1, 3, 4), dtype=np.uint8)
    arr[0] = [(255, 0, 0, 128), (10, 20, 30, 255), (10, 20, 30, 0)]
    loaded = decode_upload(encode(Image.fromarray(arr, "RGBA")))
    assert "alpha_flattened" in loaded.notes and loaded.pixels.shape == (1, 3, 3)
    half = 128 / 255
    np.testing.assert_allclose(loaded.pixels[0, 0], [255, 255 * (1 - half), 255 * (1 - half)])
    np.testing.assert_allclose(loaded.pixels[0, 1], [10, 20, 30])
    np.testing.assert_allclose(loaded.pixels[0, 2], [255, 255, 255])


def test_la_is_composited_on_white_and_stays_gray():
    loaded = decode_upload(encode(Image.new("LA", (2, 2), (100, 51))))
    assert loaded.pixels.shape == (2, 2, 1) and "alpha_flattened" in loaded.notes
    np.testing.assert_allclose(loaded.pixels, 100 * 0.2 + 255 * 0.8)


def palette_image(colours, indices) -> Image.Image:
    im = Image.fromarray(np.asarray(indices, dtype=np.uint8), "P")
    im.putpalette([c for colour in colours for c in colour])
    return im


def test_palette_without_transparency_becomes_rgb():
    im = palette_image([(255, 0, 0), (0, 0, 255)], [[0, 1]])
    loaded = decode_upload(encode(im))
    assert loaded.notes == ("palette_converted",)
    np.testing.assert_array_equal(loaded.pixels[0], [[255, 0, 0], [0, 0, 255]])


def test_gray_palette_becomes_one_channel():
    im = palette_image([(0, 0, 0), (90, 90, 90)], [[0, 1]])
    loaded = decode_upload(encode(im))
    np.testing.assert_array_equal(loaded.pixels[..., 0], [[0, 90]])


def test_palette_with_transparency_is_flattened():
    im = palette_image([(255, 0, 0), (0, 0, 255)], [[0, 1]])
    loaded = decode_upload(encode(im, transparency=1))
    assert {"palette_converted", "alpha_flattened"} <= set(loaded.notes)
    np.testing.assert_array_equal(loaded.pixels[0], [[255, 0, 0], [255, 255, 255]])


def test_sixteen_bit_gray_is_scaled():
    im = Image.new("I;16", (3, 1))
    for x, value in enumerate((0, 32768, 65535)):
        im.putpixel((x, 0), value)
    loaded = decode_upload(encode(im))
    assert loaded.pixels.shape == (1, 3, 1) and "sixteen_bit_scaled" in loaded.notes
    np.testing.assert_allclose(loaded.pixels[0, :, 0], [0, 32768 * 255 / 65535, 255])


def test_32_bit_integer_outside_16_bits_is_stretched():
    values = np.array([[-1000, 0, 99000]], dtype=np.int32)
    loaded = decode_upload(encode(Image.fromarray(values, "I"), "TIFF"))
    np.testing.assert_allclose(loaded.pixels[0, :, 0], [0, 255 * 1000 / 100000, 255])


def test_float_tiff_in_unit_range_is_scaled():
    values = np.array([[0.0, 0.5, 1.0]], dtype=np.float32)
    loaded = decode_upload(encode(Image.fromarray(values), "TIFF"))
    assert "float_scaled" in loaded.notes
    np.testing.assert_allclose(loaded.pixels[0, :, 0], [0, 127.5, 255])


def test_one_bit_becomes_gray():
    im = Image.new("1", (4, 2))
    im.putpixel((1, 0), 1)
    loaded = decode_upload(encode(im))
    assert loaded.pixels.shape == (2, 4, 1)
    assert loaded.pixels[0, 1, 0] == 255 and loaded.pixels.sum() == 255


def test_cmyk_jpeg_becomes_rgb():
    loaded = decode_upload(encode(Image.new("RGB", (16, 16), (255, 0, 0)).convert("CMYK"), "JPEG"))
    assert loaded.pixels.shape == (16, 16, 3) and "cmyk_converted" in loaded.notes
    np.testing.assert_allclose(loaded.pixels[8, 8], [255, 0, 0], atol=6)


def test_ycbcr_tiff_becomes_rgb():
    im = Image.new("RGB", (8, 8), (0, 200, 0)).convert("YCbCr")
    loaded = decode_upload(encode(im, "TIFF"))
    assert loaded.pixels.shape == (8, 8, 3)
    np.testing.assert_allclose(loaded.pixels[4, 4], [0, 200, 0], atol=3)


def test_animated_gif_gives_first_frame():
    frames = [Image.new("RGB", (8, 8), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    loaded = decode_upload(data)
    assert "first_frame" in loaded.notes
    np.testing.assert_array_equal(loaded.pixels[4, 4], [255, 0, 0])


# ---- refusals ----

def test_empty_file():
    assert bad_reason(b"") == "empty_file"


def test_file_over_the_byte_limit():
    data = encode(Image.new("L", (50, 50)))
    assert bad_reason(data, max_bytes=len(data) - 1) == "file_too_large"
    decode_upload(data, max_bytes=len(data))


@pytest.mark.parametrize("data", [bytes(np.random.default_rng(3).integers(0, 256, 500, dtype=np.uint8)),
                                  "안녕하세요, this is a text file.\n".encode()])
def test_random_bytes_and_text_are_not_images(data):
    assert bad_reason(data) == "not_an_image"


def test_other_pillow_formats_are_unsupported():
    assert bad_reason(encode(Image.new("RGB", (4, 4)), "PCX")) == "unsupported_format"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF"])
def test_truncated_file_is_corrupt(fmt):
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    data = encode(Image.fromarray(noise), fmt)
    assert bad_reason(data[: len(data) // 2]) == "corrupt"


def test_too_many_pixels_is_refused_before_decoding():
    # the pixel data is 1x1: decoding it would fail as 'corrupt', so this proves the header check
    with pytest.raises(EngineError) as info:
        decode_upload(png_claiming(7000, 7000))
    assert info.value.key == "image_too_large"
    assert info.value.params == {"pixels": 49_000_000, "limit": MAX_PIXELS}


def test_pillow_bomb_limit_also_gives_image_too_large():
    with pytest.raises(EngineError) as info:
        decode_upload(png_claiming(20000, 20000))
    assert info.value.key == "image_too_large" and info.value.params["pixels"] == 400_000_000


def test_small_pixel_limit():
    data = encode(Image.new("RGB", (10, 10)))
    with pytest.raises(EngineError) as info:
        decode_upload(data, max_pixels=99)
    assert info.value.params == {"pixels": 100, "limit": 99}
    assert decode_upload(data, max_pixels=100).pixels.shape == (10, 10, 3)


def test_error_keys_are_registered():
    assert ERROR_KEYS["bad_image"] == ("reason",)
    assert ERROR_KEYS["image_too_large"] == ("pixels", "limit")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_only_raise_engine_errors(data):
    try:
        decode_upload(data)
    except EngineError:
        pass


VALID = [encode(Image.new("RGB", (12, 9), RED), fmt) for fmt in ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(VALID), st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)),
                                        min_size=1, max_size=8), st.integers(8, 2000))
def test_damaged_real_files_only_raise_engine_errors(data, flips, keep):
    damaged = bytearray(data[:keep])
    for position, value in flips:
        damaged[position % len(damaged)] = value
    try:
        loaded = decode_upload(bytes(damaged))
    except EngineError:
        return
    assert loaded.pixels.ndim == 3 and loaded.pixels.shape[-1] in (1, 3)
    assert np.all((loaded.pixels >= 0) & (loaded.pixels <= 255))


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_bad_max_side(bad):
    with pytest.raises(EngineError) as info:
        decode_upload(encode(Image.new("L", (2, 2))), max_side=bad)
    assert info.value.key == "bad_hyperparameter"


# ---- resizing ----

@pytest.mark.parametrize("size, expected", [((300, 200), (85, 128)), ((50, 400), (128, 16)),
                                            ((128, 64), (64, 128)), ((40, 30), (30, 40))])
def test_uploads_shrink_to_the_working_size_keeping_aspect(size, expected):
    loaded = decode_upload(encode(Image.new("RGB", size, RED)))
    assert loaded.pixels.shape == (*expected, 3)
    assert loaded.original_size == (size[1], size[0])
    assert loaded.scaled == (max(size) > WORKING_SIZE)
    assert ("scaled" in loaded.notes) == loaded.scaled
    np.testing.assert_allclose(loaded.pixels, np.broadcast_to(RED, loaded.pixels.shape), atol=1)


def test_custom_max_side():
    loaded = decode_upload(encode(Image.new("L", (100, 60))), max_side=25)
    assert loaded.pixels.shape == (15, 25, 1)


def test_resize_to_shrinks_and_enlarges():
    rng = np.random.default_rng(1)
    pixels = rng.uniform(0, 255, (30, 60, 3))
    small = resize_to(pixels, 20)
    big = resize_to(pixels, 120)
    assert small.shape == (10, 20, 3) and big.shape == (60, 120, 3)
    assert small.dtype == np.float64
    assert pixels.min() <= small.min() and small.max() <= pixels.max()
    assert abs(small.mean() - pixels.mean()) < 3
    np.testing.assert_allclose(resize_to(np.full((7, 3, 1), 42.0), 14), 42.0)
    np.testing.assert_array_equal(resize_to(pixels, 60), pixels)


def test_resize_to_rejects_bad_input():
    with pytest.raises(EngineError):
        resize_to(np.zeros((4, 4)), 2)
    with pytest.raises(EngineError):
        resize_to(np.full((4, 4, 1), np.nan), 2)


# ---- grayscale and built-in photos ----

def test_to_grayscale_uses_601_luma():
    pixels = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 10, 10]]], dtype=float)
    gray = to_grayscale(pixels)
    assert gray.shape == (1, 4, 1)
    np.testing.assert_allclose(gray[0, :, 0], [0.299 * 255, 0.587 * 255, 0.114 * 255, 10])
    one = np.arange(6.0).reshape(2, 3, 1)
    np.testing.assert_array_equal(to_grayscale(one), one)
    with pytest.raises(EngineError) as info:
        to_grayscale(np.zeros((2, 2, 4)))
    assert info.value.key == "bad_shape"


@pytest.mark.parametrize("name", BUILTIN_PHOTOS)
def test_builtin_photos(name):
    loaded = builtin_photo(name)
    assert max(loaded.pixels.shape[:2]) == WORKING_SIZE and loaded.scaled
    assert loaded.pixels.shape[-1] == (1 if name == "camera" else 3)
    assert 0 <= loaded.pixels.min() and loaded.pixels.max() <= 255 and loaded.pixels.std() > 10


def test_cat_is_chelsea_and_unknown_photo_is_refused():
    assert builtin_photo("cat", max_side=1000).original_size == (300, 451)
    assert builtin_photo("cat", max_side=1000).pixels.shape == (300, 451, 3)
    with pytest.raises(EngineError) as info:
        builtin_photo("dog")
    assert info.value.key == "bad_hyperparameter"
