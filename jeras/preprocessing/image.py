"""Image preprocessing of Keras 2: `ImageDataGenerator` and the image file helpers.

Random augmentations draw from numpy's global generator, as in Keras 2, so
`np.random.seed` (or an iterator's `seed`) makes them repeatable. Image files
are read and written with Pillow.
"""
from __future__ import annotations

import os
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
    """A 3-D array as a PIL image (`scale` maps its range onto 0..255 first).

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
        x = x - np.min(x)
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


def save_img(path: str, x: Any, data_format: str | None = None, file_format: str | None = None,
             scale: bool = True, **kwargs: Any) -> None:
    """Writes an image array to a file (through a temporary name, then renamed)."""
    img = array_to_img(x, data_format=data_format, scale=scale)
    fmt = file_format or os.path.splitext(path)[1].lstrip(".") or "png"
    tmp = f"{path}.tmp-{os.getpid()}"
    img.save(tmp, format="JPEG" if fmt.lower() == "jpg" else fmt.upper(), **kwargs)
    os.replace(tmp, path)


# Transforms.

def transform_matrix_offset_center(matrix: np.ndarray, x: int, y: int) -> np.ndarray:
    """Moves the origin of an affine matrix to the image's centre."""
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
    about the image's centre; each channel is resampled linearly.
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
    return np.flip(x, axis).copy()


def apply_channel_shift(x: np.ndarray, intensity: float, channel_axis: int = 0) -> np.ndarray:
    """Adds `intensity` to every channel, clipped to the image's own range."""
    low, high = np.min(x), np.max(x)
    channels = [np.clip(c + intensity, low, high) for c in np.moveaxis(x, channel_axis, 0)]
    return np.moveaxis(np.stack(channels), 0, channel_axis)


def apply_brightness_shift(x: np.ndarray, brightness: float) -> np.ndarray:
    """Scales brightness with Pillow, as Keras 2 does (the result is in 0..255)."""
    from PIL import ImageEnhance
    return img_to_array(ImageEnhance.Brightness(array_to_img(x)).enhance(brightness))


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

    def flow(self, x: Any, y: Any = None, batch_size: int = 32, shuffle: bool = True,
             sample_weight: Any = None, seed: int | None = None, save_to_dir: str | None = None,
             save_prefix: str = "", save_format: str = "png",
             subset: str | None = None) -> NumpyArrayIterator:
        """Returns a `Sequence` of augmented batches `(x, y[, sample_weight])` of an array.

        `x` is a rank-4 array of images; without `y` the batches are `x` alone.
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

    def _shift(self, shift_range: Any, size: int) -> float:
        if not shift_range:
            return 0.0
        if isinstance(shift_range, (list, tuple, np.ndarray)):
            return float(np.random.choice(shift_range))
        shift = np.random.uniform(-shift_range, shift_range)
        return shift * size if np.max(np.abs(shift_range)) < 1 else shift

    def get_random_transform(self, img_shape: tuple, seed: int | None = None) -> dict:
        """Draws the parameters of one random transformation for an image of `img_shape`."""
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
        """Applies a transformation from `get_random_transform` to one image (rank 3)."""
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
            x = apply_brightness_shift(x, p["brightness"])
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
            x = x / (self.std + K.epsilon())
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

    # Raises
        ValueError: for `x` not of rank 4, `x`/`y`/`sample_weight` of
            different lengths, or an unknown `subset`.
    """

    def __init__(self, x: Any, y: Any, image_data_generator: ImageDataGenerator,
                 batch_size: int = 32, shuffle: bool = False, sample_weight: Any = None,
                 seed: int | None = None, data_format: str | None = None,
                 save_to_dir: str | None = None, save_prefix: str = "",
                 save_format: str = "png", subset: str | None = None,
                 dtype: str | None = None):
        self.dtype = dtype or K.floatx()
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(f"NumpyArrayIterator: `x` should be a rank-4 array of images, got "
                             f"shape {x.shape}")
        if y is not None and len(x) != len(y):
            raise ValueError(f"`x` (images tensor) and `y` (labels) should have the same "
                             f"length. Found: x.shape = {x.shape}, y.shape = "
                             f"{np.asarray(y).shape}")
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError(f"`x` (images tensor) and `sample_weight` should have the same "
                             f"length. Found: x.shape = {x.shape}, sample_weight.shape = "
                             f"{np.asarray(sample_weight).shape}")
        if subset is not None:
            if subset not in ("training", "validation"):
                raise ValueError(f"`subset` must be 'training' or 'validation', got {subset!r}")
            split = int(len(x) * image_data_generator._validation_split)
            part = slice(None, split) if subset == "validation" else slice(split, None)
            x = x[part]
            y = None if y is None else np.asarray(y)[part]
            sample_weight = None if sample_weight is None else np.asarray(sample_weight)[part]
        self.x = x
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.data_format = _data_format(data_format)
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, \
            save_format
        super().__init__(len(x), batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array: np.ndarray) -> Any:
        batch_x = np.stack([self._transform(self.x[j]) for j in index_array])
        if self.save_to_dir:
            self._save(batch_x, index_array)
        if self.y is None:
            return batch_x
        output = (batch_x, self.y[index_array])
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

    def __init__(self, directory: str, image_data_generator: ImageDataGenerator,
                 target_size: tuple[int, int] = (256, 256), color_mode: str = "rgb",
                 classes: list[str] | None = None, class_mode: str | None = "categorical",
                 batch_size: int = 32, shuffle: bool = True, seed: int | None = None,
                 data_format: str | None = None, save_to_dir: str | None = None,
                 save_prefix: str = "", save_format: str = "png", follow_links: bool = False,
                 subset: str | None = None, interpolation: str = "nearest",
                 dtype: str | None = None):
        if color_mode not in ("rgb", "rgba", "grayscale"):
            raise ValueError(f"flow_from_directory: `color_mode` must be 'rgb', 'rgba' or "
                             f"'grayscale', got {color_mode!r}")
        if class_mode not in ("categorical", "binary", "sparse", "input", None):
            raise ValueError(f"flow_from_directory: `class_mode` must be 'categorical', "
                             f"'binary', 'sparse', 'input' or None, got {class_mode!r}")
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"flow_from_directory: no such folder {directory!r}")
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
        if subset is None or not split:
            low, high = 0.0, 1.0
        elif subset == "validation":
            low, high = 0.0, split
        elif subset == "training":
            low, high = split, 1.0
        else:
            raise ValueError(f"`subset` must be 'training' or 'validation', got {subset!r}")
        if not classes:
            classes = sorted(d for d in os.listdir(directory)
                             if os.path.isdir(os.path.join(directory, d)))
        self.num_classes = len(classes)
        self.class_indices = {c: i for i, c in enumerate(classes)}
        filenames, labels = [], []
        for name in classes:
            files = _image_files(os.path.join(directory, name), follow_links)
            files = files[int(low * len(files)):int(high * len(files))]
            filenames += [os.path.join(name, f) for f in files]
            labels += [self.class_indices[name]] * len(files)
        self.filenames = filenames
        self.classes = np.asarray(labels, dtype="int32")
        self.samples = len(filenames)
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        super().__init__(self.samples, batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array: np.ndarray) -> Any:
        batch_x = np.zeros((len(index_array),) + self.image_shape, dtype=self.dtype)
        for i, j in enumerate(index_array):
            img = load_img(os.path.join(self.directory, self.filenames[j]),
                           color_mode=self.color_mode, target_size=self.target_size,
                           interpolation=self.interpolation)
            batch_x[i] = self._transform(img_to_array(img, data_format=self.data_format))
        if self.save_to_dir:
            self._save(batch_x, index_array)
        if self.class_mode == "input":
            return batch_x, batch_x.copy()
        if self.class_mode == "sparse":
            return batch_x, self.classes[index_array]
        if self.class_mode == "binary":
            return batch_x, self.classes[index_array].astype(self.dtype)
        if self.class_mode == "categorical":
            batch_y = np.zeros((len(index_array), self.num_classes), dtype=self.dtype)
            batch_y[np.arange(len(index_array)), self.classes[index_array]] = 1.0
            return batch_x, batch_y
        return batch_x


def _image_files(folder: str, follow_links: bool) -> list[str]:
    """Image files below `folder`, as sorted paths relative to it."""
    found = []
    for root, _, files in os.walk(folder, followlinks=follow_links):
        for f in files:
            if f.rsplit(".", 1)[-1].lower() in _IMAGE_FORMATS:
                found.append(os.path.relpath(os.path.join(root, f), folder))
    return sorted(found)


__all__ = ["DirectoryIterator", "ImageDataGenerator", "Iterator", "NumpyArrayIterator",
           "apply_affine_transform", "array_to_img", "img_to_array", "load_img", "save_img"]
