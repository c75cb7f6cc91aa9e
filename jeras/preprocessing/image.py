"""Image preprocessing of Keras 2: `ImageDataGenerator` and the image file helpers.

Random augmentations draw from numpy's global generator, as in Keras 2, so
`np.random.seed` (or an iterator's `seed`) makes them repeatable. Image files
are read and written with Pillow.
"""
from __future__ import annotations

import os
import re
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy import linalg, ndimage

from jeras import backend as K
from jeras.utils.data_utils import Sequence as DataSequence

_IMAGE_FORMATS = {"png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff"}
_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError("jeras.preprocessing.image needs Pillow to read and write image "
                          "files: pip install Pillow") from e
    return Image


def _data_format(data_format: str | None) -> str:
    data_format = data_format or K.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"`data_format` must be 'channels_last' or 'channels_first', got "
                         f"{data_format!r}")
    return data_format


# Files.

def load_img(path: str, grayscale: bool = False, color_mode: str = "rgb",
             target_size: tuple[int, int] | None = None,
             interpolation: str = "nearest") -> Any:
    """Opens an image file as a PIL image.

    # Arguments
        path: the file.
        grayscale: deprecated, use `color_mode='grayscale'`.
        color_mode: `'grayscale'`, `'rgb'` or `'rgba'`.
        target_size: `(height, width)` to resize to, or None.
        interpolation: the resampling filter (`'nearest'`, `'bilinear'`, `'bicubic'`,
            `'hamming'`, `'box'`, `'lanczos'`).

    # Raises
        ValueError: for an unknown `color_mode` or `interpolation`.
    """
    image = _pil()
    if grayscale:
        warnings.warn("load_img: grayscale is deprecated; use color_mode='grayscale'",
                      stacklevel=2)
        color_mode = "grayscale"
    modes = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}
    if color_mode not in modes:
        raise ValueError(f"load_img: `color_mode` must be 'grayscale', 'rgb' or 'rgba', got "
                         f"{color_mode!r}")
    img = image.open(path)
    if img.mode != modes[color_mode]:
        img = img.convert(modes[color_mode])
    if target_size is not None:
        size = (target_size[1], target_size[0])
        if img.size != size:
            if interpolation not in _INTERPOLATIONS:
                raise ValueError(f"load_img: `interpolation` must be one of {_INTERPOLATIONS}, "
                                 f"got {interpolation!r}")
            img = img.resize(size, getattr(image.Resampling, interpolation.upper()))
    return img


def img_to_array(img: Any, data_format: str | None = None, dtype: str | None = None) -> np.ndarray:
    """A PIL image as a 3-D float array (channels last or first)."""
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=dtype or K.floatx())
    if x.ndim == 2:
        x = x[:, :, None]
    elif x.ndim != 3:
        raise ValueError(f"img_to_array: unsupported image shape {x.shape}")
    return x.transpose(2, 0, 1) if data_format == "channels_first" else x


def array_to_img(x: Any, data_format: str | None = None, scale: bool = True,
                 dtype: str | None = None) -> Any:
    """A 3-D array as a PIL image.

    # Arguments
        x: array of rank 3, 1 (grayscale), 3 (RGB) or 4 (RGBA) channels.
        data_format: `'channels_last'` or `'channels_first'`; default
            `K.image_data_format()`.
        scale: first map the values onto `[0, 255]`: shift them up by
            `-min(x)` when that is negative, then scale so the maximum is 255.
        dtype: the dtype `x` is read as; default `K.floatx()`.

    # Raises
        ValueError: for an array that is not 3-D, or with 2 or more than 4 channels.
    """
    image = _pil()
    x = np.asarray(x, dtype=dtype or K.floatx())
    if x.ndim != 3:
        raise ValueError(f"array_to_img: expected an image array of rank 3, got shape {x.shape}")
    if _data_format(data_format) == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x + max(-np.min(x), 0)
        top = np.max(x)
        if top != 0:
            x = x / top
        x = x * 255
    channels = x.shape[2]
    if channels == 1:
        return image.fromarray(x[:, :, 0].astype("uint8"), "L")
    if channels in (3, 4):
        return image.fromarray(x.astype("uint8"), "RGB" if channels == 3 else "RGBA")
    raise ValueError(f"array_to_img: unsupported channel number {channels}")


def save_img(path: Any, x: Any, data_format: str | None = None, file_format: str | None = None,
             scale: bool = True, **kwargs: Any) -> None:
    """Writes an image array to a file or a file object.

    A path is written through a temporary name, then renamed, so a reader
    never sees half a file.

    # Arguments
        path: a path, or a file object (then give `file_format`).
        x: the image array (see `array_to_img`).
        data_format: the array's data format; default `K.image_data_format()`.
        file_format: `'png'`, `'jpeg'`...; default from the path's extension.
            An RGBA image written as JPEG is converted to RGB, with a warning.
        scale: map the values onto `[0, 255]` first (see `array_to_img`).
        **kwargs: passed to `PIL.Image.save`.
    """
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and file_format in ("jpg", "jpeg"):
        warnings.warn("The JPG format does not support RGBA images, converting to RGB.",
                      stacklevel=2)
        img = img.convert("RGB")
    if not isinstance(path, (str, os.PathLike)):
        img.save(path, format=file_format, **kwargs)
        return
    path = os.fspath(path)
    fmt = file_format or os.path.splitext(path)[1].lstrip(".") or "png"
    tmp = f"{path}.tmp-{os.getpid()}"
    img.save(tmp, format="JPEG" if fmt.lower() == "jpg" else fmt.upper(), **kwargs)
    os.replace(tmp, path)


def list_pictures(directory: str, ext: str = "jpg|jpeg|bmp|png|ppm") -> list[str]:
    """The pictures below `directory` (any depth) whose names end in one of `ext`.

    # Arguments
        directory: the folder to walk.
        ext: extensions separated by `|`, matched case-insensitively after
            a name of word characters.

    # Returns
        Their paths, `directory` joined with the path below it.
    """
    pattern = re.compile(r"([\w]+\.(?:" + ext + "))")
    return [os.path.join(root, f) for root, _, files in os.walk(directory) for f in files
            if pattern.match(f.lower())]


# Transforms.

def transform_matrix_offset_center(matrix: np.ndarray, x: int, y: int) -> np.ndarray:
    """Moves the origin of a 3x3 affine matrix to the centre of an `x` by `y` image.

    The centre is Keras 2's `(x / 2 + 0.5, y / 2 + 0.5)`: the matrix is
    conjugated by the shift to that point, `offset @ matrix @ reset`.
    """
    o_x, o_y = x / 2 + 0.5, y / 2 + 0.5
    offset = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return offset @ matrix @ reset


def apply_affine_transform(x: np.ndarray, theta: float = 0, tx: float = 0, ty: float = 0,
                           shear: float = 0, zx: float = 1, zy: float = 1, row_axis: int = 0,
                           col_axis: int = 1, channel_axis: int = 2, fill_mode: str = "nearest",
                           cval: float = 0.0) -> np.ndarray:
    """Rotates (degrees), shifts (pixels), shears (degrees) and zooms one image.

    The matrices compose in Keras 2's order (rotation, shift, shear, zoom)
    about the image's centre (see `transform_matrix_offset_center`); the
    result maps output pixel coordinates to input ones, and each channel
    is resampled linearly (`scipy.ndimage.affine_transform`, order 1).
    `tx` moves along rows, `ty` along columns: the output pixel `(i, j)`
    reads the input at `(i + tx, j + ty)`.

    # Arguments
        x: one image, rank 3.
        theta: rotation angle, degrees.
        tx: shift along the rows axis, pixels.
        ty: shift along the columns axis, pixels.
        shear: shear angle, degrees.
        zx: zoom factor along rows.
        zy: zoom factor along columns.
        row_axis, col_axis, channel_axis: the axes of `x`.
        fill_mode: `'constant'`, `'nearest'`, `'reflect'` or `'wrap'`.
        cval: the value for `fill_mode='constant'`.

    # Returns
        The transformed image (`x` itself when every parameter is neutral).
    """
    matrix = np.eye(3)
    if theta:
        t = np.deg2rad(theta)
        matrix = matrix @ np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0],
                                    [0, 0, 1]])
    if tx or ty:
        matrix = matrix @ np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
    if shear:
        s = np.deg2rad(shear)
        matrix = matrix @ np.array([[1, -np.sin(s), 0], [0, np.cos(s), 0], [0, 0, 1]])
    if zx != 1 or zy != 1:
        matrix = matrix @ np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
    if np.array_equal(matrix, np.eye(3)):
        return x
    matrix = transform_matrix_offset_center(matrix, x.shape[row_axis], x.shape[col_axis])
    channels = np.moveaxis(x, channel_axis, 0)
    out = np.stack([ndimage.affine_transform(c, matrix[:2, :2], matrix[:2, 2], order=1,
                                             mode=fill_mode, cval=cval) for c in channels])
    return np.moveaxis(out, 0, channel_axis)


def flip_axis(x: np.ndarray, axis: int) -> np.ndarray:
    """`x` reversed along `axis` (a new array)."""
    return np.flip(np.asarray(x), axis).copy()


def apply_channel_shift(x: np.ndarray, intensity: float, channel_axis: int = 0) -> np.ndarray:
    """Adds `intensity` to every channel, clipped to the image's own range.

    # Arguments
        x: one image, rank 3.
        intensity: the value added.
        channel_axis: the channel axis of `x`.

    # Returns
        The shifted image, its values within `[min(x), max(x)]`.
    """
    low, high = np.min(x), np.max(x)
    channels = [np.clip(c + intensity, low, high) for c in np.moveaxis(x, channel_axis, 0)]
    return np.moveaxis(np.stack(channels), 0, channel_axis)


def apply_brightness_shift(x: np.ndarray, brightness: float) -> np.ndarray:
    """Changes the brightness of a channels-last image with Pillow, as Keras 2 does.

    The image goes through `array_to_img` (which scales it onto `[0, 255]`),
    `PIL.ImageEnhance.Brightness(img).enhance(brightness)` and back, so the
    result is in `[0, 255]`: `brightness` 1 keeps the (scaled) image, 0
    makes it black.

    # Arguments
        x: one image, rank 3, channels last, with 1, 3 or 4 channels.
        brightness: the enhancement factor.
    """
    try:
        from PIL import ImageEnhance
    except ImportError as e:
        raise ImportError("apply_brightness_shift needs Pillow: pip install Pillow") from e
    img = array_to_img(x, data_format="channels_last")
    return img_to_array(ImageEnhance.Brightness(img).enhance(brightness),
                        data_format="channels_last")


def random_rotation(x: np.ndarray, rg: float, row_axis: int = 1, col_axis: int = 2,
                    channel_axis: int = 0, fill_mode: str = "nearest",
                    cval: float = 0.0) -> np.ndarray:
    """Rotates one image by an angle drawn uniformly from `[-rg, rg]` degrees.

    The angle comes from numpy's global generator; the rotation is
    `apply_affine_transform(x, theta=angle)` about the image's centre.

    # Arguments
        x: one image, rank 3 (channels first by default).
        rg: the range of the angle, in degrees.
        row_axis: the axis of rows.
        col_axis: the axis of columns.
        channel_axis: the axis of channels.
        fill_mode: how points outside the image are filled: `'constant'`,
            `'nearest'`, `'reflect'` or `'wrap'`.
        cval: the value for `fill_mode='constant'`.

    # Returns
        The rotated image, of `x`'s shape.
    """
    theta = np.random.uniform(-rg, rg)
    return apply_affine_transform(x, theta=theta, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval)


def random_shift(x: np.ndarray, wrg: float, hrg: float, row_axis: int = 1, col_axis: int = 2,
                 channel_axis: int = 0, fill_mode: str = "nearest",
                 cval: float = 0.0) -> np.ndarray:
    """Shifts one image by fractions of its size drawn from `[-hrg, hrg]` and `[-wrg, wrg]`.

    # Arguments
        x: one image, rank 3 (channels first by default).
        wrg: the range of the horizontal shift, a fraction of the width.
        hrg: the range of the vertical shift, a fraction of the height.
        row_axis, col_axis, channel_axis, fill_mode, cval: as in `random_rotation`.

    # Returns
        The shifted image, of `x`'s shape.
    """
    h, w = x.shape[row_axis], x.shape[col_axis]
    tx = np.random.uniform(-hrg, hrg) * h
    ty = np.random.uniform(-wrg, wrg) * w
    return apply_affine_transform(x, tx=tx, ty=ty, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval)


def random_shear(x: np.ndarray, intensity: float, row_axis: int = 1, col_axis: int = 2,
                 channel_axis: int = 0, fill_mode: str = "nearest",
                 cval: float = 0.0) -> np.ndarray:
    """Shears one image by an angle drawn uniformly from `[-intensity, intensity]` degrees.

    # Arguments
        x: one image, rank 3 (channels first by default).
        intensity: the range of the shear angle, in degrees.
        row_axis, col_axis, channel_axis, fill_mode, cval: as in `random_rotation`.

    # Returns
        The sheared image, of `x`'s shape.
    """
    shear = np.random.uniform(-intensity, intensity)
    return apply_affine_transform(x, shear=shear, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval)


def random_zoom(x: np.ndarray, zoom_range: Sequence[float], row_axis: int = 1,
                col_axis: int = 2, channel_axis: int = 0, fill_mode: str = "nearest",
                cval: float = 0.0) -> np.ndarray:
    """Zooms one image by factors `zx`, `zy` drawn independently from `zoom_range`.

    A factor above 1 shows more of the plane (the picture shrinks), below 1 less.

    # Arguments
        x: one image, rank 3 (channels first by default).
        zoom_range: `(low, high)`; `(1, 1)` leaves the image as it is.
        row_axis, col_axis, channel_axis, fill_mode, cval: as in `random_rotation`.

    # Returns
        The zoomed image, of `x`'s shape.

    # Raises
        ValueError: when `zoom_range` is not two numbers.
    """
    if len(zoom_range) != 2:
        raise ValueError(f"`zoom_range` should be a tuple or list of two floats. Received: "
                         f"{zoom_range!r}")
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx, zy = 1, 1
    else:
        zx, zy = np.random.uniform(zoom_range[0], zoom_range[1], 2)
    return apply_affine_transform(x, zx=zx, zy=zy, row_axis=row_axis, col_axis=col_axis,
                                  channel_axis=channel_axis, fill_mode=fill_mode, cval=cval)


def random_channel_shift(x: np.ndarray, intensity_range: float,
                         channel_axis: int = 0) -> np.ndarray:
    """`apply_channel_shift` by an intensity drawn from `[-intensity_range, intensity_range]`."""
    intensity = np.random.uniform(-intensity_range, intensity_range)
    return apply_channel_shift(x, intensity, channel_axis=channel_axis)


def random_brightness(x: np.ndarray, brightness_range: Sequence[float]) -> np.ndarray:
    """`apply_brightness_shift` by a factor drawn uniformly from `brightness_range`.

    # Raises
        ValueError: when `brightness_range` is not two numbers.
    """
    if len(brightness_range) != 2:
        raise ValueError(f"`brightness_range should be tuple or list of two floats. Received: "
                         f"{brightness_range!r}")
    u = np.random.uniform(brightness_range[0], brightness_range[1])
    return apply_brightness_shift(x, u)


class ImageDataGenerator:
    """Batches of image data with real-time augmentation and normalization.

    # Arguments
        featurewise_center: subtract the data set's mean (per channel; needs `fit`).
        samplewise_center: subtract each image's mean.
        featurewise_std_normalization: divide by the data set's std (needs `fit`).
        samplewise_std_normalization: divide each image by its std.
        zca_epsilon: epsilon of ZCA whitening.
        zca_whitening: apply ZCA whitening (needs `fit`).
        rotation_range: degrees of random rotation, in `[-r, r]`.
        width_shift_range: horizontal shift: a fraction of the width (< 1),
            pixels (>= 1), or a list of allowed pixel shifts.
        height_shift_range: likewise, vertical.
        brightness_range: `(low, high)` range of a brightness factor.
        shear_range: degrees of random shear, counter-clockwise.
        zoom_range: a float `z` for `[1 - z, 1 + z]`, or `[low, high]`.
        channel_shift_range: range of a random shift added to all channels.
        fill_mode: `'constant'`, `'nearest'`, `'reflect'` or `'wrap'` for points outside.
        cval: the value for `fill_mode='constant'`.
        horizontal_flip: flip half the images left-right.
        vertical_flip: flip half the images upside down.
        rescale: a factor applied before anything else (e.g. `1/255`); None or 0 for none.
        preprocessing_function: applied to each image (rank 3) before the rest.
        data_format: `'channels_last'` or `'channels_first'`; default
            `K.image_data_format()`.
        validation_split: fraction held out for `subset='validation'`.
        dtype: dtype of the batches.

    # Raises
        ValueError: for an invalid `zoom_range`, `data_format` or `validation_split`.
    """

    def __init__(self, featurewise_center: bool = False, samplewise_center: bool = False,
                 featurewise_std_normalization: bool = False,
                 samplewise_std_normalization: bool = False, zca_whitening: bool = False,
                 zca_epsilon: float = 1e-6, rotation_range: float = 0,
                 width_shift_range: Any = 0.0, height_shift_range: Any = 0.0,
                 brightness_range: Sequence[float] | None = None, shear_range: float = 0.0,
                 zoom_range: Any = 0.0, channel_shift_range: float = 0.0,
                 fill_mode: str = "nearest", cval: float = 0.0, horizontal_flip: bool = False,
                 vertical_flip: bool = False, rescale: float | None = None,
                 preprocessing_function: Callable | None = None, data_format: str | None = None,
                 validation_split: float = 0.0, dtype: str | None = None):
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.brightness_range = brightness_range
        self.shear_range = shear_range
        self.channel_shift_range = channel_shift_range
        if fill_mode not in ("constant", "nearest", "reflect", "wrap"):
            raise ValueError(f"ImageDataGenerator: `fill_mode` must be 'constant', 'nearest', "
                             f"'reflect' or 'wrap', got {fill_mode!r}")
        self.fill_mode = fill_mode
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.dtype = dtype or K.floatx()
        self.data_format = _data_format(data_format)
        if self.data_format == "channels_first":
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        if not 0 <= validation_split < 1:
            raise ValueError(f"ImageDataGenerator: `validation_split` must be in [0, 1), got "
                             f"{validation_split!r}")
        self._validation_split = validation_split
        if np.isscalar(zoom_range):
            self.zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif len(zoom_range) == 2:
            self.zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError(f"ImageDataGenerator: `zoom_range` should be a float or a tuple or "
                             f"list of two floats, got {zoom_range!r}")
        if brightness_range is not None and len(brightness_range) != 2:
            raise ValueError(f"ImageDataGenerator: `brightness_range` should be a tuple or list "
                             f"of two floats, got {brightness_range!r}")
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None
        self.principal_components: np.ndarray | None = None
        # Keras 2 makes the options consistent, warning about each change.
        if zca_whitening:
            if not featurewise_center:
                self.featurewise_center = True
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, which "
                              "overrides setting of `featurewise_center`.", stacklevel=2)
            if featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn("This ImageDataGenerator specifies `zca_whitening` which "
                              "overrides setting of `featurewise_std_normalization`.",
                              stacklevel=2)
        if featurewise_std_normalization and not featurewise_center:
            self.featurewise_center = True
            warnings.warn("This ImageDataGenerator specifies `featurewise_std_normalization`, "
                          "which overrides setting of `featurewise_center`.", stacklevel=2)
        if samplewise_std_normalization and not samplewise_center:
            self.samplewise_center = True
            warnings.warn("This ImageDataGenerator specifies `samplewise_std_normalization`, "
                          "which overrides setting of `samplewise_center`.", stacklevel=2)

    def flow(self, x: Any, y: Any = None, batch_size: int = 32, shuffle: bool = True,
             sample_weight: Any = None, seed: int | None = None, save_to_dir: str | None = None,
             save_prefix: str = "", save_format: str = "png",
             subset: str | None = None) -> NumpyArrayIterator:
        """Returns a `Sequence` of augmented batches `(x, y[, sample_weight])` of an array.

        # Arguments
            x: a rank-4 array of images, or a tuple `(images, misc)` where
                `misc` is an array or a list of arrays (as long as `images`)
                passed through unchanged; the batches' `x` is then the list
                `[images, *misc]`.
            y: the labels, or None: the batches are then `x` alone.
            batch_size: samples per batch.
            shuffle: reshuffle the samples each pass.
            sample_weight: weights, making batches `(x, y, sample_weight)`.
            seed: makes the shuffling and the augmentation repeatable.
            save_to_dir: a folder where each augmented image is also written.
            save_prefix: the start of those files' names.
            save_format: their format (`'png'`, `'jpeg'`).
            subset: `'training'` or `'validation'`, the parts `validation_split` makes.
        """
        return NumpyArrayIterator(x, y, self, batch_size=batch_size, shuffle=shuffle,
                                  sample_weight=sample_weight, seed=seed,
                                  data_format=self.data_format, save_to_dir=save_to_dir,
                                  save_prefix=save_prefix, save_format=save_format,
                                  subset=subset, dtype=self.dtype)

    def flow_from_directory(self, directory: str, target_size: tuple[int, int] = (256, 256),
                            color_mode: str = "rgb", classes: list[str] | None = None,
                            class_mode: str | None = "categorical", batch_size: int = 32,
                            shuffle: bool = True, seed: int | None = None,
                            save_to_dir: str | None = None, save_prefix: str = "",
                            save_format: str = "png", follow_links: bool = False,
                            subset: str | None = None,
                            interpolation: str = "nearest") -> DirectoryIterator:
        """Returns a `Sequence` of augmented batches read from a folder per class.

        `directory` holds one subfolder per class (sorted names give class
        indices unless `classes` lists them); images in any depth below it.
        """
        return DirectoryIterator(directory, self, target_size=target_size,
                                 color_mode=color_mode, classes=classes, class_mode=class_mode,
                                 data_format=self.data_format, batch_size=batch_size,
                                 shuffle=shuffle, seed=seed, save_to_dir=save_to_dir,
                                 save_prefix=save_prefix, save_format=save_format,
                                 follow_links=follow_links, subset=subset,
                                 interpolation=interpolation, dtype=self.dtype)

    def flow_from_dataframe(self, dataframe: Any, directory: str, x_col: str = "filename",
                            y_col: Any = "class", has_ext: bool = True,
                            target_size: tuple[int, int] = (256, 256), color_mode: str = "rgb",
                            classes: list | None = None, class_mode: str | None = "categorical",
                            batch_size: int = 32, shuffle: bool = True, seed: int | None = None,
                            save_to_dir: str | None = None, save_prefix: str = "",
                            save_format: str = "png", subset: str | None = None,
                            interpolation: str = "nearest") -> DataFrameIterator:
        """Returns a `Sequence` of augmented batches of the image files a DataFrame lists.

        # Arguments
            dataframe: a pandas DataFrame with the file names in `x_col` and
                the targets in `y_col`.
            directory: the folder holding the images.
            x_col: the column of file names.
            y_col: the column (or list of columns, for `'other'`) of targets.
            has_ext: whether the names in `x_col` include the extension.
            target_size: `(height, width)` the images are resized to.
            color_mode: `'grayscale'`, `'rgb'` or `'rgba'`.
            classes: the class names in index order; default the values of
                `y_col` in order of first appearance.
            class_mode: `'categorical'`, `'binary'`, `'sparse'`, `'input'`,
                `'other'` (the `y_col` values themselves) or None.
            batch_size, shuffle, seed, save_to_dir, save_prefix, save_format,
                subset, interpolation: as in `flow_from_directory`.
        """
        return DataFrameIterator(dataframe, directory, self, x_col=x_col, y_col=y_col,
                                 has_ext=has_ext, target_size=target_size,
                                 color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, data_format=self.data_format,
                                 batch_size=batch_size, shuffle=shuffle, seed=seed,
                                 save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, subset=subset,
                                 interpolation=interpolation, dtype=self.dtype)

    def standardize(self, x: np.ndarray) -> np.ndarray:
        """Applies the normalization (not the random augmentation) to one image or a batch."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x = x * self.rescale
        if self.samplewise_center:
            x = x - np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x = x / (np.std(x, keepdims=True) + 1e-6)
        if self.featurewise_center:
            if self.mean is None:
                warnings.warn("This ImageDataGenerator specifies `featurewise_center`, but it "
                              "hasn't been fit on any training data. Fit it first by calling "
                              "`.fit(numpy_data)`.", stacklevel=2)
            else:
                x = x - self.mean
        if self.featurewise_std_normalization:
            if self.std is None:
                warnings.warn("This ImageDataGenerator specifies `featurewise_std_normalization`"
                              ", but it hasn't been fit on any training data. Fit it first by "
                              "calling `.fit(numpy_data)`.", stacklevel=2)
            else:
                x = x / (self.std + 1e-6)
        if self.zca_whitening:
            if self.principal_components is None:
                warnings.warn("This ImageDataGenerator specifies `zca_whitening`, but it hasn't "
                              "been fit on any training data. Fit it first by calling "
                              "`.fit(numpy_data)`.", stacklevel=2)
            else:
                flat = np.reshape(x, (-1, int(np.prod(x.shape[-3:]))))
                x = np.reshape(flat @ self.principal_components, x.shape)
        return x

    @staticmethod
    def _shift(shift_range: Any, size: int) -> float:
        """One shift in pixels, drawn as Keras 2 draws it.

        An int `n` or a list gives a value chosen from `range(n)` or the list
        times a random sign; a float gives a uniform value in
        `(-shift_range, shift_range)`. Ranges below 1 are fractions of `size`.
        """
        if np.size(shift_range) == 0 or (np.ndim(shift_range) == 0 and not shift_range):
            return 0
        try:
            shift = np.random.choice(shift_range)
            shift *= np.random.choice([-1, 1])
        except ValueError:  # a float
            shift = np.random.uniform(-shift_range, shift_range)
        if np.max(shift_range) < 1:
            shift *= size
        return shift

    def get_random_transform(self, img_shape: tuple, seed: int | None = None) -> dict:
        """Draws the parameters of one random transformation for an image of `img_shape`.

        The draws come from numpy's global generator in Keras 2's order, so
        a `seed` (which seeds that generator) gives Keras 2's parameters.

        # Arguments
            img_shape: the shape of one image (rank 3).
            seed: reseeds numpy's global generator first.

        # Returns
            The dict `apply_transform` takes: `theta`, `tx`, `ty`, `shear`,
            `zx`, `zy`, `flip_horizontal`, `flip_vertical`,
            `channel_shift_intensity` (None without a range) and `brightness`
            (None without a range).
        """
        row_axis, col_axis = self.row_axis - 1, self.col_axis - 1
        if seed is not None:
            np.random.seed(seed)
        theta = np.random.uniform(-self.rotation_range, self.rotation_range) \
            if self.rotation_range else 0
        tx = self._shift(self.height_shift_range, img_shape[row_axis])
        ty = self._shift(self.width_shift_range, img_shape[col_axis])
        shear = np.random.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = np.random.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = bool(np.random.random() < 0.5) and self.horizontal_flip
        flip_vertical = bool(np.random.random() < 0.5) and self.vertical_flip
        channel_shift = np.random.uniform(-self.channel_shift_range, self.channel_shift_range) \
            if self.channel_shift_range else None
        brightness = np.random.uniform(*self.brightness_range) \
            if self.brightness_range is not None else None
        return {"theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
                "flip_horizontal": flip_horizontal, "flip_vertical": flip_vertical,
                "channel_shift_intensity": channel_shift, "brightness": brightness}

    def apply_transform(self, x: np.ndarray, transform_parameters: dict) -> np.ndarray:
        """Applies a transformation from `get_random_transform` to one image (rank 3).

        # Arguments
            x: one image, in the generator's data format.
            transform_parameters: a dict of any of `'theta'` (rotation,
                degrees), `'tx'`, `'ty'` (shifts along rows and columns,
                pixels), `'shear'` (degrees), `'zx'`, `'zy'` (zoom factors),
                `'flip_horizontal'`, `'flip_vertical'` (booleans),
                `'channel_shift_intensity'` and `'brightness'`; missing keys
                change nothing.

        # Returns
            The transformed image, of `x`'s shape.
        """
        row_axis, col_axis, channel_axis = self.row_axis - 1, self.col_axis - 1, \
            self.channel_axis - 1
        p = transform_parameters
        x = apply_affine_transform(x, p.get("theta", 0), p.get("tx", 0), p.get("ty", 0),
                                   p.get("shear", 0), p.get("zx", 1), p.get("zy", 1),
                                   row_axis=row_axis, col_axis=col_axis,
                                   channel_axis=channel_axis, fill_mode=self.fill_mode,
                                   cval=self.cval)
        if p.get("channel_shift_intensity") is not None:
            x = apply_channel_shift(x, p["channel_shift_intensity"], channel_axis)
        if p.get("flip_horizontal"):
            x = flip_axis(x, col_axis)
        if p.get("flip_vertical"):
            x = flip_axis(x, row_axis)
        if p.get("brightness") is not None:
            if channel_axis == 2:
                x = apply_brightness_shift(x, p["brightness"])
            else:  # Pillow works on channels-last images
                x = np.moveaxis(apply_brightness_shift(np.moveaxis(x, channel_axis, -1),
                                                       p["brightness"]), -1, channel_axis)
        return x

    def random_transform(self, x: np.ndarray, seed: int | None = None) -> np.ndarray:
        """Applies a random transformation to one image (rank 3)."""
        return self.apply_transform(x, self.get_random_transform(x.shape, seed))

    def fit(self, x: Any, augment: bool = False, rounds: int = 1, seed: int | None = None) -> None:
        """Computes the statistics that the featurewise options and ZCA whitening need.

        # Arguments
            x: rank-4 array of sample images.
            augment: fit on `rounds` randomly augmented copies of `x`.
            rounds: copies made with `augment`.
            seed: seed of the augmentation.

        # Raises
            ValueError: for data that is not rank 4.
        """
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(f"ImageDataGenerator.fit: input to `.fit()` should have rank 4, got "
                             f"array with shape {x.shape}")
        if x.shape[self.channel_axis] not in {1, 3, 4}:
            warnings.warn(f"ImageDataGenerator.fit: the data has {x.shape[self.channel_axis]} "
                          f"channels on axis {self.channel_axis} ({self.data_format}); images "
                          f"usually have 1, 3 or 4.", stacklevel=2)
        if seed is not None:
            np.random.seed(seed)
        if augment:
            x = np.concatenate([np.stack([self.random_transform(img) for img in x])
                                for _ in range(rounds)])
        axes = (0, self.row_axis, self.col_axis)
        shape = [1, 1, 1]
        shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        if self.featurewise_center:
            self.mean = np.mean(x, axis=axes).reshape(shape)
            x = x - self.mean
        if self.featurewise_std_normalization:
            self.std = np.std(x, axis=axes).reshape(shape)
            x = x / (self.std + 1e-6)
        if self.zca_whitening:
            flat = x.reshape(x.shape[0], -1)
            sigma = flat.T @ flat / flat.shape[0]
            u, s, _ = linalg.svd(sigma)
            self.principal_components = (u * (1.0 / np.sqrt(s[None] + self.zca_epsilon))) @ u.T


class Iterator(DataSequence):
    """A `Sequence` of batches over `n` samples, reshuffled after each pass.

    Also an endless iterator (`next(it)`), as Keras 2 scripts sometimes use it.

    # Arguments
        n: number of samples.
        batch_size: samples per batch.
        shuffle: reshuffle the samples each pass.
        seed: makes shuffling and augmentation repeatable.
    """

    def __init__(self, n: int, batch_size: int, shuffle: bool, seed: int | None):
        self.n = n
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array: np.ndarray | None = None
        self.index_generator = self._flow_index()

    def _set_index_array(self) -> None:
        self.index_array = np.random.permutation(self.n) if self.shuffle else np.arange(self.n)

    def __getitem__(self, idx: int) -> Any:
        if idx >= len(self):
            raise ValueError(f"Asked to retrieve element {idx}, but the Sequence has length "
                             f"{len(self)}")
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array()
        return self._get_batches_of_transformed_samples(
            self.index_array[self.batch_size * idx:self.batch_size * (idx + 1)])

    def __len__(self) -> int:
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self) -> None:
        self._set_index_array()

    def reset(self) -> None:
        self.batch_index = 0

    def _flow_index(self):
        self.reset()
        while True:
            if self.seed is not None:
                np.random.seed(self.seed + self.total_batches_seen)
            if self.batch_index == 0:
                self._set_index_array()
            current = (self.batch_index * self.batch_size) % self.n
            self.batch_index = self.batch_index + 1 if self.n > current + self.batch_size else 0
            self.total_batches_seen += 1
            yield self.index_array[current:current + self.batch_size]

    def __iter__(self):
        return self

    def __next__(self) -> Any:
        with self.lock:
            index_array = next(self.index_generator)
        return self._get_batches_of_transformed_samples(index_array)

    def next(self) -> Any:
        """The next batch (Keras 2's name for `__next__`)."""
        return self.__next__()

    def _get_batches_of_transformed_samples(self, index_array: np.ndarray) -> Any:
        raise NotImplementedError

    def _transform(self, x: np.ndarray) -> np.ndarray:
        gen = self.image_data_generator
        params = gen.get_random_transform(x.shape)
        return gen.standardize(gen.apply_transform(x.astype(self.dtype), params))

    def _save(self, batch_x: np.ndarray, index_array: np.ndarray) -> None:
        for i, j in enumerate(index_array):
            name = f"{self.save_prefix}_{j}_{np.random.randint(1_000_000)}.{self.save_format}"
            save_img(os.path.join(self.save_to_dir, name), batch_x[i], self.data_format)


class NumpyArrayIterator(Iterator):
    """Augmented batches of an in-memory image array (see `ImageDataGenerator.flow`).

    `x` is a rank-4 image array, or a tuple `(images, misc)` where `misc` is
    an array or a list of arrays passed through unchanged: the batches'
    inputs are then the list `[images, *misc]`.

    # Raises
        ValueError: for images not of rank 4, arrays of different lengths, an
            unknown `subset`, or a split that leaves the training and
            validation parts with different sets of labels.
    """

    def __init__(self, x: Any, y: Any, image_data_generator: ImageDataGenerator,
                 batch_size: int = 32, shuffle: bool = False, sample_weight: Any = None,
                 seed: int | None = None, data_format: str | None = None,
                 save_to_dir: str | None = None, save_prefix: str = "",
                 save_format: str = "png", subset: str | None = None,
                 dtype: str | None = None):
        self.dtype = dtype or K.floatx()
        self.data_format = _data_format(data_format)
        if type(x) in (tuple, list):
            misc = x[1]
            x_misc = [np.asarray(a) for a in misc] if type(misc) is list else [np.asarray(misc)]
            x = x[0]
            for a in x_misc:
                if len(x) != len(a):
                    raise ValueError(f"All of the arrays in `x` should have the same length. "
                                     f"Found a pair with: len(x[0]) = {len(x)}, len(x[?]) = "
                                     f"{len(a)}")
        else:
            x_misc = []
        if y is not None and len(x) != len(y):
            raise ValueError(f"`x` (images tensor) and `y` (labels) should have the same "
                             f"length. Found: x.shape = {np.asarray(x).shape}, y.shape = "
                             f"{np.asarray(y).shape}")
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError(f"`x` (images tensor) and `sample_weight` should have the same "
                             f"length. Found: x.shape = {np.asarray(x).shape}, "
                             f"sample_weight.shape = {np.asarray(sample_weight).shape}")
        if subset is not None:
            if subset not in ("training", "validation"):
                raise ValueError(f"Invalid subset name: {subset!r}; expected 'training' or "
                                 f"'validation'.")
            split = int(len(x) * image_data_generator._validation_split)
            if y is not None and not np.array_equal(np.unique(np.asarray(y)[:split]),
                                                    np.unique(np.asarray(y)[split:])):
                raise ValueError("Training and validation subsets have different number of "
                                 "classes after the split. If your numpy arrays are sorted by "
                                 "the label, you might want to shuffle them.")
            part = slice(None, split) if subset == "validation" else slice(split, None)
            x = np.asarray(x)[part]
            x_misc = [a[part] for a in x_misc]
            y = None if y is None else np.asarray(y)[part]
            sample_weight = None if sample_weight is None else np.asarray(sample_weight)[part]
        self.x = np.asarray(x, dtype=self.dtype)
        if self.x.ndim != 4:
            raise ValueError(f"Input data in `NumpyArrayIterator` should have rank 4 (a batch "
                             f"of images). You passed an array with shape {self.x.shape}")
        channels_axis = 3 if self.data_format == "channels_last" else 1
        if self.x.shape[channels_axis] not in (1, 3, 4):
            warnings.warn(f"NumpyArrayIterator is set to use the data format convention "
                          f"{self.data_format!r} (channels on axis {channels_axis}), i.e. "
                          f"expected either 1, 3, or 4 channels on axis {channels_axis}. "
                          f"However, it was passed an array with shape {self.x.shape} "
                          f"({self.x.shape[channels_axis]} channels).", stacklevel=3)
        self.x_misc = x_misc
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, \
            save_format
        super().__init__(len(self.x), batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array: np.ndarray) -> Any:
        batch_x = np.zeros((len(index_array),) + self.x.shape[1:], dtype=self.dtype)
        for i, j in enumerate(index_array):
            batch_x[i] = self._transform(self.x[j])
        if self.save_to_dir:
            self._save(batch_x, index_array)
        inputs = [batch_x] + [a[index_array] for a in self.x_misc] if self.x_misc else batch_x
        if self.y is None:
            return inputs
        output = (inputs, self.y[index_array])
        if self.sample_weight is not None:
            output += (self.sample_weight[index_array],)
        return output


class DirectoryIterator(Iterator):
    """Augmented batches of image files, one subfolder per class.

    See `ImageDataGenerator.flow_from_directory`; `class_mode` is
    `'categorical'` (one-hot), `'binary'`, `'sparse'` (integer), `'input'`
    (the images themselves, for autoencoders) or None (images only).
    Attributes `classes`, `class_indices`, `filenames` and `samples` are as in Keras 2.

    # Raises
        ValueError: for an unknown `color_mode`, `class_mode` or `subset`.
        FileNotFoundError: when `directory` is missing.
    """

    _CLASS_MODES: tuple = ("categorical", "binary", "sparse", "input", None)

    def __init__(self, directory: str, image_data_generator: ImageDataGenerator,
                 target_size: tuple[int, int] = (256, 256), color_mode: str = "rgb",
                 classes: list[str] | None = None, class_mode: str | None = "categorical",
                 batch_size: int = 32, shuffle: bool = True, seed: int | None = None,
                 data_format: str | None = None, save_to_dir: str | None = None,
                 save_prefix: str = "", save_format: str = "png", follow_links: bool = False,
                 subset: str | None = None, interpolation: str = "nearest",
                 dtype: str | None = None):
        self._common_init(directory, image_data_generator, target_size, color_mode,
                          class_mode, data_format, save_to_dir, save_prefix, save_format,
                          subset, interpolation, dtype)
        if not classes:
            classes = sorted(d for d in os.listdir(directory)
                             if os.path.isdir(os.path.join(directory, d)))
        self.num_classes = len(classes)
        self.class_indices = {c: i for i, c in enumerate(classes)}
        filenames, labels = [], []
        for name in classes:
            files = self._split_files(_image_files(os.path.join(directory, name), follow_links))
            filenames += [os.path.join(os.path.basename(name), f) for f in files]
            labels += [self.class_indices[name]] * len(files)
        self.filenames = filenames
        self.classes = np.asarray(labels, dtype="int32")
        self.samples = len(filenames)
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        super().__init__(self.samples, batch_size, shuffle, seed)

    def _common_init(self, directory: str, image_data_generator: ImageDataGenerator,
                     target_size: tuple[int, int], color_mode: str, class_mode: str | None,
                     data_format: str | None, save_to_dir: str | None, save_prefix: str,
                     save_format: str, subset: str | None, interpolation: str,
                     dtype: str | None) -> None:
        if color_mode not in ("rgb", "rgba", "grayscale"):
            raise ValueError(f"`color_mode` must be 'rgb', 'rgba' or 'grayscale', got "
                             f"{color_mode!r}")
        if class_mode not in self._CLASS_MODES:
            raise ValueError(f"`class_mode` must be one of {self._CLASS_MODES}, got "
                             f"{class_mode!r}")
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"no such folder {directory!r}")
        self.directory = directory
        self.image_data_generator = image_data_generator
        self.target_size = tuple(target_size)
        self.color_mode = color_mode
        self.data_format = _data_format(data_format)
        channels = {"rgb": 3, "rgba": 4, "grayscale": 1}[color_mode]
        self.image_shape = (self.target_size + (channels,) if self.data_format == "channels_last"
                            else (channels,) + self.target_size)
        self.class_mode = class_mode
        self.dtype = dtype or K.floatx()
        self.interpolation = interpolation
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, \
            save_format
        split = image_data_generator._validation_split
        if subset is None:
            self.split = None
        elif subset == "validation":
            self.split = (0.0, split)
        elif subset == "training":
            self.split = (split, 1.0)
        else:
            raise ValueError(f"`subset` must be 'training' or 'validation', got {subset!r}")
        self.subset = subset

    def _split_files(self, files: list[str]) -> list[str]:
        """The share of `files` (in listing order) that the subset takes."""
        if self.split is None:
            return files
        return files[int(self.split[0] * len(files)):int(self.split[1] * len(files))]

    def _labels(self, batch_x: np.ndarray, index_array: np.ndarray) -> Any:
        """The batch's targets for `class_mode`, or None without them."""
        if self.class_mode == "input":
            return batch_x.copy()
        if self.class_mode == "sparse":
            return self.classes[index_array]
        if self.class_mode == "binary":
            return self.classes[index_array].astype(self.dtype)
        if self.class_mode == "categorical":
            batch_y = np.zeros((len(index_array), self.num_classes), dtype=self.dtype)
            batch_y[np.arange(len(index_array)), self.classes[index_array]] = 1.0
            return batch_y
        return None

    def _get_batches_of_transformed_samples(self, index_array: np.ndarray) -> Any:
        batch_x = np.zeros((len(index_array),) + self.image_shape, dtype=self.dtype)
        for i, j in enumerate(index_array):
            img = load_img(os.path.join(self.directory, self.filenames[j]),
                           color_mode=self.color_mode, target_size=self.target_size,
                           interpolation=self.interpolation)
            x = img_to_array(img, data_format=self.data_format)
            img.close()
            batch_x[i] = self._transform(x)
        if self.save_to_dir:
            self._save(batch_x, index_array)
        batch_y = self._labels(batch_x, index_array)
        return batch_x if batch_y is None else (batch_x, batch_y)


class DataFrameIterator(DirectoryIterator):
    """Augmented batches of the image files a pandas DataFrame names, with its labels.

    See `ImageDataGenerator.flow_from_dataframe`. As in Keras 2, the images
    are the files found in `directory` (its subfolders included, in the
    order and with the validation split of `flow_from_directory`) whose
    names, extension included or not as `has_ext` says, appear in the
    frame's `x_col`; frame rows with a missing value are dropped. The files
    are read as `directory/<name>`.

    # Raises
        ValueError: for an invalid argument (see `flow_from_dataframe`).
        TypeError: for a non-numeric `y_col` with `class_mode='other'`.
    """

    _CLASS_MODES = ("categorical", "binary", "sparse", "input", "other", None)

    def __init__(self, dataframe: Any, directory: str, image_data_generator: ImageDataGenerator,
                 x_col: str = "filenames", y_col: Any = "class", has_ext: bool = True,
                 target_size: tuple[int, int] = (256, 256), color_mode: str = "rgb",
                 classes: list | None = None, class_mode: str | None = "categorical",
                 batch_size: int = 32, shuffle: bool = True, seed: int | None = None,
                 data_format: str | None = None, save_to_dir: str | None = None,
                 save_prefix: str = "", save_format: str = "png", follow_links: bool = False,
                 subset: str | None = None, interpolation: str = "nearest",
                 dtype: str | None = None):
        self._common_init(directory, image_data_generator, target_size, color_mode,
                          class_mode, data_format, save_to_dir, save_prefix, save_format,
                          subset, interpolation, dtype)
        if not isinstance(x_col, str):
            raise ValueError("x_col must be a string.")
        if not isinstance(has_ext, bool):
            raise ValueError("has_ext must be either True if filenames in x_col has "
                             "extensions, else False.")
        df = dataframe.drop_duplicates(x_col).copy()
        df[x_col] = df[x_col].astype(str)
        no_labels = class_mode in ("other", "input", None)
        if not classes:
            classes = [] if no_labels else list(df[y_col].dropna().unique())
        elif no_labels:
            raise ValueError("classes cannot be set if class_mode is either 'other' or "
                             "'input' or None.")
        self.num_classes = len(classes)
        self.class_indices = {c: i for i, c in enumerate(classes)}
        found = [os.path.basename(f)
                 for f in self._split_files(_image_files(directory, follow_links))]
        if has_ext:
            if len(df) and not any(df[x_col].iloc[0].endswith("." + ext)
                                   for ext in _IMAGE_FORMATS):
                raise ValueError("has_ext is set to True but extension not found in x_col")
            keys = found
        else:
            keys = [os.path.splitext(f)[0] for f in found]
        rows = df.dropna().set_index(x_col)
        kept = [(key, f) for key, f in zip(keys, found) if key in rows.index]
        self.df = rows.loc[[key for key, _ in kept]]
        self.filenames = [f for _, f in kept]
        if not no_labels:
            self.classes = np.array([self.class_indices[c] for c in self.df[y_col].values],
                                    dtype="int32")
        else:
            self.classes = np.zeros((len(self.filenames),), dtype="int32")
        if class_mode == "other":
            columns = [y_col] if isinstance(y_col, str) else list(y_col)
            from pandas.api.types import is_numeric_dtype
            if not all(is_numeric_dtype(dt) for dt in self.df[columns].dtypes):
                raise TypeError("y_col column/s must be numeric datatypes.")
            self.data = self.df[y_col].values
        self.samples = len(self.filenames)
        if self.num_classes:
            print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        else:
            print(f"Found {self.samples} images.")
        Iterator.__init__(self, self.samples, batch_size, shuffle, seed)

    def _labels(self, batch_x: np.ndarray, index_array: np.ndarray) -> Any:
        if self.class_mode == "other":
            return self.data[index_array]
        return super()._labels(batch_x, index_array)


def _image_files(folder: str, follow_links: bool) -> list[str]:
    """Image files below `folder`, as paths relative to it, in Keras 2's order.

    That order is the folders' paths sorted, then the file names sorted
    within each folder; the validation split takes its share from the start.
    """
    found = []
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links),
                                 key=lambda entry: entry[0]):
        for f in sorted(files):
            if any(f.lower().endswith("." + ext) for ext in _IMAGE_FORMATS):
                if f.lower().endswith(".tiff"):
                    warnings.warn("Using '.tiff' files with multiple bands will cause "
                                  "distortion. Please verify your output.", stacklevel=4)
                found.append(os.path.relpath(os.path.join(root, f), folder))
    return found


__all__ = ["DataFrameIterator", "DirectoryIterator", "ImageDataGenerator", "Iterator",
           "NumpyArrayIterator", "apply_affine_transform", "apply_brightness_shift",
           "apply_channel_shift", "array_to_img", "flip_axis", "img_to_array", "list_pictures",
           "load_img", "random_brightness", "random_channel_shift", "random_rotation",
           "random_shear", "random_shift", "random_zoom", "save_img",
           "transform_matrix_offset_center"]
