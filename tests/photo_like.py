"Photo-like JPEGs for measuring a model on something like real photos: 500 x 375, about 100 KB, varied scenes per label"
from pathlib import Path
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

# Each label: a sky and ground colour, and the colour and shape of the things in the scene
SCENES = {'apples': ((150, 190, 230), (90, 120, 60), (200, 30, 30), 'ellipse'),
          'leaves': ((170, 200, 220), (70, 90, 40), (60, 150, 50), 'leaf'),
          'stones': ((200, 200, 205), (120, 110, 100), (140, 140, 135), 'polygon')}

def photo_like(label:str, rng:np.random.Generator, size=(500, 375))->Image.Image:
    "A scene of `label`: a sky over ground, a few to many things of its kind, some of another kind, texture, blur and noise"
    w, h = size
    sky, ground, thing = [np.clip(np.array(c, float) * rng.uniform(0.7, 1.25, 3), 0, 255) for c in SCENES[label][:3]]
    horizon = int(h * rng.uniform(0.3, 0.7))
    y = np.linspace(0, 1, h)[:, None, None]
    img = np.where(np.arange(h)[:, None, None] < horizon, sky * (1 - 0.3 * y), ground * (0.7 + 0.5 * y)) * np.ones((1, w, 1))
    img += rng.normal(0, 1, (h // 8 + 1, w // 8 + 1, 3)).repeat(8, 0).repeat(8, 1)[:h, :w] * 12  # coarse texture
    picture = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    others = [k for k in SCENES if k != label]
    for i in range(int(rng.integers(3, 14))):
        kind = label if rng.random() > 0.25 else others[int(rng.integers(len(others)))]  # some clutter from other scenes
        colour = tuple(int(v) for v in np.clip((thing if kind == label else np.array(SCENES[kind][2], float)) * rng.uniform(0.6, 1.3, 3), 0, 255))
        cx, cy, r = rng.uniform(0, w), rng.uniform(horizon * 0.5, h), rng.uniform(12, 70)
        s = SCENES[kind][3]
        if s == 'ellipse': draw.ellipse([cx - r, cy - r * rng.uniform(0.8, 1.1), cx + r, cy + r], fill=colour)
        elif s == 'leaf': draw.ellipse([cx - r * 1.8, cy - r * 0.5, cx + r * 1.8, cy + r * 0.5], fill=colour)
        else: draw.polygon([(cx + r * np.cos(a), cy + r * np.sin(a)) for a in np.sort(rng.uniform(0, 2 * np.pi, 6))], fill=colour)
    picture = picture.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.5)))
    noisy = np.asarray(picture, float) + rng.normal(0, rng.uniform(3, 9), (h, w, 3))
    return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))

def photo_folders(dest:Path, per_label:int=40, seed:int=0, labels=tuple(SCENES))->Path:
    "`dest` with a folder of `per_label` photo-like JPEGs for each label"
    rng = np.random.default_rng(seed)
    for label in labels:
        (Path(dest)/label).mkdir(parents=True, exist_ok=True)
        for i in range(per_label): photo_like(label, rng).save(Path(dest)/label/f'{label}-{i:03d}.jpg', quality=95)
    return Path(dest)
