"""The one `Dataset` every loader returns, the built-in datasets' names and the limits on a user's data: the bottom of
the data room, which the catalogue and the user's own datasets (owndata, ownconvert, series) both build on, so
neither has to import the other to know them.
"""

from dataclasses import dataclass, replace

import numpy as np

from aecore import errors

DATASET_NAMES = ("digits", "fashion_mnist", "mnist")
# Full-size photos (aecore.data.photos) load as a PhotoDataset, not a Dataset: "photos" or "photos:FOLDER".
PHOTOS = "photos"
TEST_FRACTION = 1 / 6  # held out when the user's data has no test split (MNIST's 60k/10k ratio)
MAX_IMAGES = 100_000  # 100k RGB 64x64 images are already ~5 GB as float32
MAX_IMAGE_FILE_BYTES = 64 * 1024**2  # per file, checked before its bytes are read
MAX_IMAGE_PIXELS = 4096 * 4096  # per image, checked on the header before decoding
MAX_IMAGE_SIDE = 64  # the first image's size, shrunk so its longer side fits, is everyone's size


@dataclass
class Dataset:
    """Images and labels, split into train and test; see the module docstring for the layout."""

    name: str  # "digits", "fashion_mnist", "mnist", or the path the user gave
    x_train: np.ndarray  # (n_train, height, width, channels) float32 in [0, 1]
    y_train: np.ndarray | None  # (n_train,) int64, or None when unlabelled
    x_test: np.ndarray  # (n_test, height, width, channels) float32 in [0, 1]
    y_test: np.ndarray | None  # (n_test,) int64, or None when unlabelled
    class_names: list[str] | None  # label index -> name, where known
    source: str  # where it came from, for people: a path or "scikit-learn bundled"

    @property
    def input_shape(self) -> tuple[int, int, int]:
        """(height, width, channels) of one image."""
        return tuple(self.x_train.shape[1:])

    def subset(self, train: int | None = None, test: int | None = None) -> "Dataset":
        """The first `train` and `test` images of each split (None keeps all); views, not copies."""
        for split_name, count in (("train", train), ("test", test)):
            if count is not None and count < 1:
                raise errors.DatasetError(
                    f"subset {split_name}={count}: ask for at least 1 image, or None for all"
                )
        return replace(
            self,
            x_train=self.x_train[:train],
            y_train=None if self.y_train is None else self.y_train[:train],
            x_test=self.x_test[:test],
            y_test=None if self.y_test is None else self.y_test[:test],
        )
