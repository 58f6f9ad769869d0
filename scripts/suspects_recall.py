"""How many wrong labels do the suspects find? Flip N labels of a copy of a dataset, then compare, among the first 2N,
the out-of-sample suspects (`primer suspects`) with the loss ranking of a model trained on the flipped data.

    .venv/bin/python scripts/suspects_recall.py DATA_DIR --flip 16 [--size 64]

DATA_DIR: label folders of images (it is copied; the original is never changed). Prints one JSON line.
"""
import argparse, json, shutil, tempfile, time
from pathlib import Path
from primer_lib.settings import workshop_settings
from primer_lib.review import find_suspects
from primer_lib.testing import flip_labels
from primer_lib.training import train_classifier
from primer_lib.suspects import suspect_images

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('data'); parser.add_argument('--flip', type=int, default=16); parser.add_argument('--size', default='64')
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)/'data'; shutil.copytree(args.data, data)
        cfg = workshop_settings(data_dir=data, image_size=args.size, model_path=Path(tmp)/'models'/'classifier.pkl')
        flipped = {f.relative_to(data).as_posix() for f in flip_labels(data, args.flip, seed=args.seed)}
        start = time.time(); rows = find_suspects(data, top=2 * args.flip, cfg=cfg); cold = time.time() - start
        start = time.time(); find_suspects(data, top=2 * args.flip, cfg=cfg); warm = time.time() - start
        found = {r['file'] for r in rows if r['reason'] == 'label'} & flipped
        learn, _ = train_classifier(cfg, all_labels=True)
        by_loss = {Path(f).relative_to(data).as_posix() for f in suspect_images(learn, 2 * args.flip).file} & flipped
        print(json.dumps(dict(images=sum(1 for _ in data.rglob('*.jpg')), flipped=len(flipped), looked_at=2 * args.flip,
                              recall_out_of_sample=round(len(found) / len(flipped), 3), recall_loss=round(len(by_loss) / len(flipped), 3),
                              seconds_cold=round(cold, 1), seconds_warm=round(warm, 1))))

if __name__ == '__main__': main()
