"150 labels, as in the reference workshop: train, predict, suspects and clean through the command line, then the views that scale (per-label accuracy, most-confused pairs, the class balance, the cleaner's menus)."
import colorsys, json, warnings
from pathlib import Path
import numpy as np, pytest
from PIL import Image
from conftest import primer, last_json

N_LABELS, PER_LABEL, SIZE = 150, 6, 48  # at 32 px the fast path's features are nearly constant

def many_labels(
    root:Path, # where the label folders go
    n_labels:int=N_LABELS, # 15 hues times 10 patterns at most
    per_label:int=PER_LABEL, # images of each label
    side:int=SIZE, # pixels
    seed:int=0
):
    "Tiny images of `n_labels` labels, each a hue and a pattern, every image shifted and grainy"
    rng, (yy, xx) = np.random.default_rng(seed), np.mgrid[0:side, 0:side] / side
    waves = [3 * yy, 3 * xx, 3 * (xx + yy), 3 * (xx - yy), 6 * np.hypot(xx - .5, yy - .5), 8 * yy, 8 * xx, 2 * np.arctan2(yy - .5, xx - .5) / np.pi]
    patterns = [lambda p, w=w: np.sin(2 * np.pi * (w + p)) for w in waves]
    patterns += [lambda p: np.sin(2 * np.pi * (3 * xx + p)) * np.sin(2 * np.pi * (3 * yy + p)), lambda p: np.sign(np.sin(2 * np.pi * (2 * xx + p)))]
    for i in range(n_labels):
        colour = np.array(colorsys.hsv_to_rgb(i % 15 / 15, .9, .9)) * 255
        folder = Path(root)/f'kind{i:03d}'; folder.mkdir(parents=True, exist_ok=True)
        for k in range(per_label):
            shade = patterns[i // 15](rng.uniform())[..., None] * .5 + .5
            pixels = shade * colour + (1 - shade) * 30 + rng.normal(0, 8, (side, side, 3))
            Image.fromarray(pixels.clip(0, 255).astype(np.uint8)).save(folder/f'{k}.png')

def tree(root): return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(Path(root).rglob('*')) if p.is_file() and '.cache' not in p.parts}

@pytest.fixture(scope='module')
def many(tmp_path_factory):
    "150 labels of 6 images, 4 of them moved to a wrong label, and a model trained by `primer train`: (data, model, summary, moved)"
    from primer_lib.testing import flip_labels
    data, model = tmp_path_factory.mktemp('many')/'data', tmp_path_factory.mktemp('model')/'many.pkl'
    many_labels(data)
    moved = {f.relative_to(data).as_posix() for f in flip_labels(data, 4, seed=3)}
    res = primer('train', '--data', data, '--recipe', 'fast', '--size', SIZE, '--out', model)
    assert res.returncode == 0, res.stderr
    return data, model, last_json(res.stdout), moved

@pytest.fixture(scope='module')
def suspects(many):
    "The JSON lines of `primer suspects --top 8` on the 150 labels"
    data = many[0]
    res = primer('suspects', '--data', data, '--size', SIZE, '--top', 8)
    assert res.returncode == 0 and 'Traceback' not in res.stderr, res.stderr
    return [json.loads(line) for line in res.stdout.strip().splitlines()]

def test_train_and_predict_with_150_labels(many):
    data, model, summary, _ = many
    assert summary['n_train'] + summary['n_valid'] == N_LABELS * PER_LABEL
    assert summary['accuracy'] > 0.5, summary  # chance is 1/150
    images = [sorted((data/f'kind{i:03d}').glob('[0-9].png'))[0] for i in range(0, N_LABELS, 15)]
    res = primer('predict', '--model', model, *images)
    assert res.returncode == 0, res.stderr
    answers = [json.loads(line) for line in res.stdout.strip().splitlines()]
    assert len(answers) == len(images) and all(len(a['probabilities']) == N_LABELS for a in answers)
    assert all(abs(sum(a['probabilities'].values()) - 1) < 0.01 and a['probability'] == max(a['probabilities'].values()) for a in answers)
    assert sum(a['label'] == Path(a['image']).parent.name for a in answers) >= len(images) // 2

def test_suspects_with_150_labels_of_6_images(many, suspects):
    data, _, _, moved = many
    labels = {f'kind{i:03d}' for i in range(N_LABELS)}
    wrong = [r for r in suspects if r['reason'] == 'label']
    assert len(wrong) == 8 and all(r['label'] in labels and r['suggested'] in labels - {r['label']} for r in wrong)
    assert all((data/r['file']).is_file() for r in suspects)
    copies = [r for r in suspects if r['reason'] == 'duplicate']  # images of one label here differ by a shift of their pattern
    assert all((data/r['duplicate_of']).is_file() and isinstance(r['leak'], bool) for r in copies)
    assert len({r['file'] for r in wrong} & moved) >= 2, (wrong, moved)  # of the 4 moved, in the first 8

def test_clean_apply_and_undo_with_150_labels(many, suspects, tmp_path):
    data = many[0]
    before = tree(data)
    first, second = [r for r in suspects if r['reason'] == 'label'][:2]
    decisions = tmp_path/'decisions.json'
    decisions.write_text(json.dumps({'delete': [first['file']], 'relabel': {second['file']: second['suggested']}}))
    res = primer('clean', '--data', data, '--apply', decisions)
    assert res.returncode == 0, res.stderr
    assert not (data/first['file']).exists() and (data/second['suggested']/Path(second['file']).name).is_file()
    res = primer('clean', '--data', data, '--undo')
    assert res.returncode == 0 and res.stdout.strip().splitlines()[-1].startswith('Undone: 2 file(s)'), res.stdout
    assert {k: v for k, v in tree(data).items() if not k.startswith('.')} == before

@pytest.fixture(scope='module')
def interp(many):
    "fastai's interpretation of the 150-label model on its validation images, as 04_interpret makes it"
    from fastai.vision.all import load_learner, ClassificationInterpretation
    from primer_lib.settings import workshop_settings
    from primer_lib.data import workshop_dataloaders
    from primer_lib.interpret import with_data
    data, model = many[:2]
    cfg = workshop_settings(data_dir=data, image_size=SIZE)
    dls = workshop_dataloaders(data, None, SIZE, cfg.valid_pct, cfg.seed, cfg.batch_size, augment=False)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # load_learner's warning about pickles: this one is ours
        learn = with_data(load_learner(model, cpu=True), dls)
    return ClassificationInterpretation.from_learner(learn)

def test_interpretation_scales_to_150_labels(many, interp, capsys):
    from primer_lib.review import show_confusion, label_accuracy, plot_class_counts
    from primer_lib.interpret import class_counts
    worst = show_confusion(interp)  # no 150 x 150 matrix: the worst labels, and the two accuracies
    said = capsys.readouterr().out.splitlines()
    assert said[0].startswith('Accuracy ') and 'top-5 accuracy' in said[0] and said[1].startswith('150 labels are too many')
    table = label_accuracy(interp)
    assert len(table) == N_LABELS and list(table.accuracy) == sorted(table.accuracy) and len(worst) == 10
    assert table.images.sum() == many[2]['n_valid'] and list(worst.index) == list(table.index[:10])
    assert all(t == '' or t in interp.vocab for t in table.taken_for)
    pairs = interp.most_confused()[:10]
    assert all(a != b and n >= 1 for a, b, n in pairs)
    if pairs: assert pairs[0][2] == table.times.max()
    ax = plot_class_counts(class_counts(many[0]))
    assert len(ax.patches) == N_LABELS and list(ax.get_xticks()) == [] and 'the fewest: ' in ax.get_xlabel()
    heights = [p.get_height() for p in ax.patches]
    assert heights == sorted(heights, reverse=True)

def test_cleaner_menus_with_150_labels(many, interp, suspects, monkeypatch):
    import builtins
    from IPython.display import display
    monkeypatch.setattr(builtins, 'display', display, raising=False)  # fastai's cleaner draws with IPython's, as in a notebook
    from primer_lib.clean import CleanerMarks
    from primer_lib.review import suspects_first
    data = many[0]
    cleaner = suspects_first(CleanerMarks(interp.learn, max_n=12), suspects, data)
    menu = cleaner.cleaner.dd_cats.options
    assert len(menu) == N_LABELS and menu[0][1] == suspects[0]['label'] and 'suspect' in menu[0][0]
    assert cleaner.cleaner.dd_cats.value == suspects[0]['label']
    first = cleaner.menus()[data/suspects[0]['file']]
    assert first.options[:3] == ('<Keep>', '<Delete>', suspects[0]['suggested']) and len(first.options) == N_LABELS + 2
    first.value = suspects[0]['suggested']
    assert cleaner.decisions(data) == dict(delete=[], relabel={suspects[0]['file']: suspects[0]['suggested']})
