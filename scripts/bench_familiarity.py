"""Benchmark of familiarity (issue 23): the share of images each model flags as unfamiliar, before and after.

Two models, trained with the fast recipe as `primer train` does: a photo model on two labels of photo-like scenes
(beach, forest: about 500 x 375 JPEGs made here with numpy and Pillow, no downloads), and the digits model on the
sample digits 3 and 7. For each: its own labels' images that neither training nor calibration saw (at most 5 %
should be flagged), far images (digits for the photo model, scenes for the digits model: at least 95 %), and near
images (other scenes: city, mountains, sunset, room, and a lake and a park, made to be close to beach and forest;
and crops of scikit-learn's two sample photographs, real photos of other things: at least 50 %).

"Before" is what the answers said until now: no flag at all (0 %), and, for reference, the app's "not sure" (the top
probability below `unsure_below`), which a softmax rarely says for images unlike any label.

    python scripts/bench_familiarity.py [--per-label 80] [--own 100] [--test 40] [--seed 0] [--keep DIR]
"""
import argparse, json, shutil, sys, tempfile, time, warnings
from dataclasses import replace
from pathlib import Path
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

W, H = 500, 375

def _noise(rng, scale, shape=(H, W)):
    "Smooth random texture: noise drawn small, then enlarged"
    small = rng.normal(0, 1, (max(2, shape[0] // scale), max(2, shape[1] // scale))).astype(np.float32)
    return np.asarray(Image.fromarray(small).resize((shape[1], shape[0]), Image.BICUBIC))

def _sky(top, bottom):
    t = np.linspace(0, 1, H)[:, None, None]
    return np.broadcast_to(np.array(top) * (1 - t) + np.array(bottom) * t, (H, W, 3)).astype(np.float32)
def beach(rng):
    "Sky, sea with waves and sand: horizontal bands"
    img = _sky(rng.uniform([60, 110, 190], [110, 160, 235]), rng.uniform([170, 200, 230], [215, 230, 250]))
    horizon, shore = int(H * rng.uniform(0.3, 0.5)), int(H * rng.uniform(0.6, 0.8))
    yy = np.arange(H)[:, None]
    sea = np.array(rng.uniform([20, 80, 120], [60, 140, 180]))
    waves = 18 * np.sin(yy * rng.uniform(0.3, 0.8) + _noise(rng, 40) * 3)[..., None]
    img[horizon:shore] = sea + waves[horizon:shore] + 10 * _noise(rng, 8)[horizon:shore, :, None]
    sand = np.array(rng.uniform([190, 170, 120], [235, 215, 170]))
    img[shore:] = sand + 14 * _noise(rng, 3)[shore:, :, None] + 8 * _noise(rng, 30)[shore:, :, None]
    return img

def forest(rng):
    "Tree trunks, leaves and a forest floor: vertical structure in greens and browns"
    img = np.zeros((H, W, 3), np.float32) + rng.uniform([20, 60, 20], [50, 110, 50])
    img += 30 * _noise(rng, 6)[..., None] * np.array([0.6, 1, 0.5])
    im = Image.fromarray(img.clip(0, 255).astype(np.uint8)); d = ImageDraw.Draw(im)
    for _ in range(rng.integers(6, 14)):
        x, w = rng.integers(0, W), rng.integers(8, 40)
        c = tuple(int(v) for v in rng.uniform([50, 30, 15], [110, 75, 45]))
        d.rectangle([x, 0, x + w, H], fill=c)
    for _ in range(rng.integers(200, 400)):
        x, y, r = rng.integers(0, W), rng.integers(0, int(H * 0.7)), rng.integers(4, 18)
        d.ellipse([x - r, y - r, x + r, y + r], fill=tuple(int(v) for v in rng.uniform([20, 80, 10], [90, 170, 60])))
    img = np.asarray(im.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.5))), np.float32)
    floor = int(H * rng.uniform(0.75, 0.9))
    img[floor:] = img[floor:] * 0.4 + np.array([90, 70, 40]) * 0.6 + 15 * _noise(rng, 3)[floor:, :, None]
    return img

def city(rng):
    "Buildings with rows of windows under a sky"
    img = _sky(rng.uniform([90, 120, 170], [150, 170, 220]), rng.uniform([180, 190, 210], [230, 230, 240]))
    im = Image.fromarray(img.astype(np.uint8)); d = ImageDraw.Draw(im)
    x = 0
    while x < W:
        w, top = rng.integers(40, 110), rng.integers(int(H * 0.1), int(H * 0.6))
        grey = int(rng.uniform(70, 170)); d.rectangle([x, top, x + w, H], fill=(grey, grey, int(grey * 1.05)))
        for wy in range(top + 8, H - 10, 18):
            for wx in range(x + 6, x + w - 8, 14):
                if rng.random() < 0.8: d.rectangle([wx, wy, wx + 7, wy + 10], fill=tuple(int(v) for v in rng.uniform([30, 40, 60], [230, 220, 150])))
        x += w + rng.integers(0, 10)
    return np.asarray(im, np.float32) + 6 * _noise(rng, 2)[..., None]

def mountains(rng):
    "Ridges with snow caps, a valley below"
    img = _sky(rng.uniform([70, 110, 180], [120, 160, 230]), rng.uniform([200, 210, 230], [240, 240, 250]))
    xs = np.arange(W)
    for layer in range(3):
        base = H * (0.35 + 0.15 * layer)
        ridge = base + 60 * np.abs(np.cumsum(rng.normal(0, 1, W)) / np.sqrt(W) * 3) * (1 - layer * 0.2) - 40 * np.sin(xs / rng.uniform(40, 120))
        colour = np.array(rng.uniform([80, 80, 90], [130, 120, 120])) * (1 - 0.2 * layer) + np.array([0, 30 * layer, 0])
        mask = np.arange(H)[:, None] > ridge[None, :]
        img[mask] = (colour + 20 * _noise(rng, 5)[..., None])[mask]
        snow = mask & (np.arange(H)[:, None] < ridge[None, :] + 15) & (ridge[None, :] < base)
        img[snow] = 235
    return img

def sunset(rng):
    "An orange sky over dark water, a sun disc and its reflection"
    img = _sky(rng.uniform([40, 20, 60], [90, 50, 110]), rng.uniform([230, 120, 40], [255, 180, 90]))
    horizon = int(H * rng.uniform(0.5, 0.7)); cx = rng.integers(100, 400)
    yy, xx = np.mgrid[:H, :W]
    sun = (yy - horizon + 30) ** 2 + (xx - cx) ** 2 < rng.integers(400, 1600)
    img[sun] = [255, 230, 150]
    img[horizon:] = np.array([30, 20, 40]) + 25 * _noise(rng, 4)[horizon:, :, None] + (np.abs(xx - cx) < 30)[horizon:, :, None] * 80 * np.abs(np.sin(yy[horizon:] * 0.5))[..., None]
    return img

def room(rng):
    "A wall, a floor, a window and some furniture: an indoor scene"
    wall = rng.uniform([150, 130, 110], [230, 220, 200])
    img = np.zeros((H, W, 3), np.float32) + wall + 6 * _noise(rng, 20)[..., None]
    floor = int(H * rng.uniform(0.6, 0.75)); img[floor:] = rng.uniform([90, 60, 30], [150, 110, 70]) + 12 * _noise(rng, 4)[floor:, :, None]
    im = Image.fromarray(img.clip(0, 255).astype(np.uint8)); d = ImageDraw.Draw(im)
    wx = rng.integers(20, 300); d.rectangle([wx, 40, wx + 140, 180], fill=(170, 200, 235), outline=(250, 250, 250), width=8)
    for _ in range(rng.integers(2, 5)):
        x, w, h = rng.integers(0, W - 60), rng.integers(40, 160), rng.integers(40, 150)
        d.rectangle([x, floor - h + 30, x + w, floor + 30], fill=tuple(int(v) for v in rng.uniform(30, 200, 3)))
    return np.asarray(im.filter(ImageFilter.GaussianBlur(0.8)), np.float32) + 5 * _noise(rng, 2)[..., None]

def lake(rng):
    "Like a beach, but a green shore and dark still water: near the beach label"
    img = beach(rng)
    shore = int(H * rng.uniform(0.65, 0.85))
    img[shore:] = np.array(rng.uniform([40, 90, 30], [90, 150, 70])) + 20 * _noise(rng, 4)[shore:, :, None]
    return img * np.array([0.8, 0.95, 0.9])

def park(rng):
    "Like a forest, but few trees, a lawn and sky between: near the forest label"
    img = forest(rng)
    top = int(H * rng.uniform(0.25, 0.45))
    img[:top] = _sky(rng.uniform([80, 130, 200], [120, 170, 240]), [210, 225, 240])[:top]
    return img

SCENES = dict(beach=beach, forest=forest, city=city, mountains=mountains, sunset=sunset, room=room, lake=lake, park=park)
LABELS, NEAR = ('beach', 'forest'), ('city', 'mountains', 'sunset', 'room', 'lake', 'park')

def varied(img, rng):
    "A random crop (zoom), a mirror and a colour cast, as photos of one thing vary"
    s = rng.uniform(0.6, 1); w, h = int(W * s), int(H * s); x, y = rng.integers(0, W - w + 1), rng.integers(0, H - h + 1)
    im = Image.fromarray(img.clip(0, 255).astype(np.uint8)).crop((x, y, x + w, y + h)).resize((W, H))
    if rng.random() < 0.5: im = im.transpose(Image.FLIP_LEFT_RIGHT)
    return np.asarray(im, np.float32) * rng.uniform([0.8, 0.8, 0.8], [1.2, 1.2, 1.2]) + rng.uniform(-20, 20)

def make_scenes(
    dest:Path, # images go to dest/<kind>/
    kinds:tuple, # which scenes, from `SCENES`
    n:int, # images of each
    seed:int=0
)->Path:
    "`n` photo-like JPEGs (500 x 375, camera noise, quality 92) of each scene in `kinds`"
    rng = np.random.default_rng(seed)
    for kind in kinds:
        (Path(dest)/kind).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            img = varied(SCENES[kind](rng), rng) + rng.normal(0, 7, (H, W, 3))
            Image.fromarray(img.clip(0, 255).astype(np.uint8)).save(Path(dest)/kind/f'{i:03d}.jpg', quality=92)
    return Path(dest)

def make_real_photos(dest:Path, n:int, seed:int=0)->Path:
    "`n` crops of each of scikit-learn's two sample photographs (a temple, a flower), 500 x 375"
    from sklearn.datasets import load_sample_image
    rng = np.random.default_rng(seed); Path(dest).mkdir(parents=True, exist_ok=True)
    for name in ('china.jpg', 'flower.jpg'):
        src = load_sample_image(name)
        for i in range(n):
            w = int(rng.uniform(0.4, 0.9) * src.shape[1]); h = int(w * 0.75)
            x, y = rng.integers(0, src.shape[1] - w + 1), rng.integers(0, src.shape[0] - h + 1)
            Image.fromarray(src[y:y + h, x:x + w]).resize((W, H)).save(Path(dest)/f'{name[:-4]}-{i:03d}.jpg', quality=92)
    return Path(dest)

def make_digits(dest:Path, train:int, test:int)->tuple:
    "The sample digits 3 and 7: `train` of each in dest/train, the next `test` of each in dest/test"
    from primer_lib.download import download_images
    download_images(Path(dest)/'all', ['3', '7'], train + test)
    for label in '37':
        files = sorted((Path(dest)/'all'/label).glob('*.png')) + sorted((Path(dest)/'all'/label).glob('*.jpg'))
        for part, chosen in (('train', files[:train]), ('test', files[train:train + test])):
            (Path(dest)/part/label).mkdir(parents=True, exist_ok=True)
            for f in chosen: shutil.move(str(f), Path(dest)/part/label/f.name)
    return Path(dest)/'train', Path(dest)/'test'

def train_and_export(data:Path, model_path:Path, seed:int)->dict:
    "Train with the fast recipe on every label folder in `data` (as `primer train --data` does) and export; the summary"
    from primer_lib.settings import workshop_settings
    from primer_lib.training import train_classifier, export_model
    cfg = workshop_settings(data_dir=data, model_path=model_path, recipe='fast', finetune_seconds=0, image_size='auto', seed=seed)
    learn, summary = train_classifier(cfg, all_labels=True)
    manifest = export_model(learn, model_path, cfg.arch, summary['image_size'])
    return dict(summary, familiarity=manifest['familiarity'])

def rates(model, files:list, unsure_below:float)->dict:
    "The share of `files` flagged: by no method (0), by the softmax's 'not sure', and by familiarity"
    from primer_lib.predict import predict_files
    results = [r for r in predict_files(model, files) if 'error' not in r]
    share = lambda flags: round(sum(flags) / max(1, len(flags)), 3)
    return dict(images=len(results), before=0.0, softmax_unsure=share([r['probability'] < unsure_below for r in results]),
                after=share([r.get('unfamiliar', False) for r in results]))

def images_in(*folders): return sorted(f for d in folders for f in Path(d).rglob('*') if f.suffix.lower() in ('.jpg', '.png'))

TARGETS = {'own': ('<=', 0.05), 'far': ('>=', 0.95), 'near': ('>=', 0.50)}

def report(model_name:str, model_path:Path, sets:dict, unsure_below:float)->list:
    "One row per set of images: how many, and the share flagged before and after"
    from primer_lib.predict import load_model
    model, rows = load_model(model_path), []
    for (kind, name), files in sets.items():
        r = dict(model=model_name, set=name, kind=kind, **rates(model, files, unsure_below))
        op, target = TARGETS[kind]
        r.update(target=f'{op} {target:.0%}', met=r['after'] <= target if op == '<=' else r['after'] >= target)
        rows.append(r); print(json.dumps(r), flush=True)
    return rows

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--per-label', type=int, default=80, help='training images per label of each model')
    p.add_argument('--own', type=int, default=100, help='unseen images of each model\'s own labels to score (the 5 %% needs many)')
    p.add_argument('--test', type=int, default=40, help='images of each other set to score')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--keep', help='make the data and models in this folder, and keep them (default: a temporary folder, removed)')
    args = p.parse_args(argv)
    warnings.filterwarnings('ignore')
    from primer_lib.settings import workshop_settings
    unsure_below = workshop_settings().unsure_below
    root = Path(args.keep or tempfile.mkdtemp(prefix='bench-familiarity-')); start = time.time()
    try:
        scenes = make_scenes(root/'scenes-train', LABELS, args.per_label, seed=args.seed + 1)
        own = make_scenes(root/'scenes-test', LABELS, args.own // 2, seed=args.seed + 2)
        near = make_scenes(root/'scenes-near', NEAR, max(1, args.test // 4), seed=args.seed + 3)
        real = make_real_photos(root/'real-photos', args.test // 2, seed=args.seed + 4)
        digits, digits_test = make_digits(root/'digits', args.per_label, args.own // 2)
        print(f'# data made in {time.time() - start:.0f} s under {root}', flush=True)
        photo = train_and_export(scenes, root/'models'/'scenes.pkl', args.seed)
        digit = train_and_export(digits, root/'models'/'digits.pkl', args.seed)
        for name, s in (('photo model (beach, forest)', photo), ('digits model (3, 7)', digit)):
            f = s['familiarity']
            print(f"# {name}: accuracy {s['accuracy']:.3f}, image size {s['image_size']}, threshold {f.get('threshold')}, "
                  f"{f.get('held_out')} held-out images ({f.get('flagged_held_out')} below it)", flush=True)
        rows = report('photo', root/'models'/'scenes.pkl', {('own', 'own labels, unseen (beach, forest)'): images_in(own),
                      ('far', 'far: sample digits'): images_in(digits_test),
                      ('near', 'near: other scenes (city, mountains, sunset, room, lake, park)'): images_in(near),
                      ('near', 'near: real photos (temple, flower)'): images_in(real)}, unsure_below)
        rows += report('digits', root/'models'/'digits.pkl', {('own', 'own labels, unseen (3, 7)'): images_in(digits_test),
                       ('far', 'far: photo-like scenes and real photos'): images_in(own, near, real)}, unsure_below)
        print('\n| model | images | n | flagged before | softmax "not sure" | flagged after | target |\n|---|---|---|---|---|---|---|')
        for r in rows: print(f"| {r['model']} | {r['set']} | {r['images']} | {r['before']:.0%} | {r['softmax_unsure']:.0%} | {r['after']:.0%} | {r['target']}{'' if r['met'] else ' (missed)'} |")
        print(f'\n# {time.time() - start:.0f} s in all')
        return 0 if all(r['met'] for r in rows) else 1
    finally:
        if not args.keep: shutil.rmtree(root, ignore_errors=True)

if __name__ == '__main__': sys.exit(main())
