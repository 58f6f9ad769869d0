"Suspects: flipped labels found from out-of-sample probabilities (compared with the loss ranking), planted copies and leaks found, bad input."
import json, shutil, time
from pathlib import Path
import pytest, torch
from primer_lib.download import download_images
from primer_lib.settings import workshop_settings
from primer_lib.data import workshop_dataloaders
from primer_lib.training import feature_cache
from primer_lib.review import find_suspects, label_suspects, review_items
from primer_lib.testing import flip_labels, plant_copies

def settings(data): return workshop_settings(data_dir=data, labels='3,7', model_path=data.parent/'models'/'classifier.pkl')

def rel(data, f): return Path(f).relative_to(data).as_posix()

@pytest.fixture(scope='module')
def digits(tmp_path_factory):
    "Sample digits 3 and 7, 60 of each, with 8 labels flipped and 4 altered copies planted: (folder, flipped, planted pairs)"
    data = tmp_path_factory.mktemp('suspects')/'data'
    download_images(data, ['3', '7'], 60)
    flipped, planted = flip_labels(data, 8, seed=1), plant_copies(data, 4, seed=2)
    return data, {rel(data, f) for f in flipped}, {frozenset(rel(data, f) for f in pair) for pair in planted}

def test_flipped_labels_found_better_than_by_loss(digits):
    data, flipped, _ = digits
    cfg = settings(data)
    feature_cache(cfg).unlink(missing_ok=True)
    start = time.time(); rows = find_suspects(data, top=16, cfg=cfg); cold = time.time() - start
    start = time.time(); assert find_suspects(data, top=16, cfg=cfg) == rows; warm = time.time() - start
    recall = len({r['file'] for r in rows if r['reason'] == 'label'} & flipped) / len(flipped)
    from primer_lib.training import train_classifier
    from primer_lib.suspects import suspect_images
    learn, _ = train_classifier(cfg)
    loss_recall = len({rel(data, f) for f in suspect_images(learn, 16).file} & flipped) / len(flipped)
    print(f'\nflipped labels among the first 16 suspects: out-of-sample {recall:.2f}, loss ranking {loss_recall:.2f}; '
          f'find_suspects on {len(list(data.glob("*/*.jpg")))} images: cold {cold:.1f} s, warm {warm:.1f} s')
    assert recall >= 0.75 and recall >= loss_recall

def test_planted_copies_found_and_leaks_flagged(digits):
    data, _, planted = digits
    cfg = settings(data)
    rows = find_suspects(data, top=0, cfg=cfg)
    json.dumps(rows)  # ready for `primer suspects`
    assert all(r['reason'] == 'duplicate' for r in rows)
    assert {frozenset((r['file'], r['duplicate_of'])) for r in rows} == planted  # every one, and no other pair
    items = review_items(workshop_dataloaders(data, None, cfg.image_size, cfg.valid_pct, cfg.seed, cfg.batch_size, augment=False))
    split = {rel(data, f): s for f, s in zip(items.file, items.split)}
    assert [r['leak'] for r in rows] == [split[r['file']] != split[r['duplicate_of']] for r in rows]
    assert any(r['leak'] for r in rows) and rows == sorted(rows, key=lambda r: not r['leak'])

def test_copy_across_own_split_is_a_leak(digits, tmp_path):
    src, _, _ = digits
    data = tmp_path/'data'
    for i, f in enumerate(sorted(f for f in src.glob('*/*.jpg') if '-copy' not in f.name)):
        dest = data/('val' if i % 4 == 0 else 'train')/f.parent.name
        dest.mkdir(parents=True, exist_ok=True); shutil.copy(f, dest)
    original = sorted((data/'train'/'3').iterdir())[0]
    shutil.copy(original, data/'val'/'3'/'copied.jpg')
    rows = find_suspects(data, top=3, cfg=settings(data))
    assert len([r for r in rows if r['reason'] == 'label']) == 3
    assert [(r['file'], r['duplicate_of'], r['leak']) for r in rows if r['reason'] == 'duplicate'] == \
           [('val/3/copied.jpg', f'train/3/{original.name}', True)]

def test_damaged_cache_is_recomputed(digits):
    data, _, _ = digits
    cfg = settings(data)
    rows = find_suspects(data, top=8, cfg=cfg)
    feature_cache(cfg).write_bytes(b'not a cache')
    with pytest.warns(UserWarning, match="can't be read"): again = find_suspects(data, top=8, cfg=cfg)
    assert [(r['file'], r['reason']) for r in again] == [(r['file'], r['reason']) for r in rows]

def test_fewer_folds_when_a_label_has_few_images(tmp_path):
    data = tmp_path/'data'
    download_images(data, ['3', '7'], 20)
    for f in sorted((data/'7').iterdir())[5:]: f.unlink()
    with pytest.warns(UserWarning, match="Only 5 images of '7': 2 folds instead of 5"): find_suspects(data, cfg=settings(data))

def test_one_label_is_an_error(tmp_path):
    data = tmp_path/'data'
    download_images(data, ['3'], 10)
    with pytest.raises(ValueError, match='at least two label folders'): find_suspects(data, cfg=settings(data))
    with pytest.raises(ValueError, match='needs images of at least two labels'): label_suspects(torch.randn(10, 8), ['3'] * 10)

def test_warm_suspects_read_the_cache_without_building_a_learner(digits, monkeypatch):
    data, _, _ = digits
    cfg = settings(data)
    rows = find_suspects(data, top=8, cfg=cfg)  # the cache now holds every image's features
    import primer_lib.review as review
    monkeypatch.setattr(review, 'workshop_learner', lambda *a, **k: pytest.fail('a learner was built with every feature cached'))
    assert find_suspects(data, top=8, cfg=cfg) == rows
