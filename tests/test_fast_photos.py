"Issue 14: the image size fits the images, onnxruntime runs the body as PyTorch does, and what we report is what validate and predict give."
import json, warnings
import numpy as np, pytest, torch
from pathlib import Path
from PIL import Image
from conftest import primer

def make_photos(dest, per_label, labels=('temple', 'flower'), size=(400, 300), seed=0):
    "Photo-sized JPEGs: random crops of scikit-learn's sample photos (one per label, cycled), jittered and noisy"
    from sklearn.datasets import load_sample_image
    rng, sources = np.random.default_rng(seed), [Image.fromarray(load_sample_image(n)) for n in ('china.jpg', 'flower.jpg')]
    for n, label in enumerate(labels):
        src = sources[n % 2]; (Path(dest)/label).mkdir(parents=True, exist_ok=True)
        for i in range(per_label):
            w = int(src.width * rng.uniform(0.35, 0.8)); h = int(w * 0.75)
            x, y = rng.integers(0, src.width - w), rng.integers(0, src.height - h)
            img = np.asarray(src.crop((x, y, x + w, y + h)).resize(size), dtype=np.float32) * rng.uniform(0.6, 1.3) + rng.normal(0, 25, (size[1], size[0], 3))
            if n >= 2: img = img * 0.5 + np.array([n * 23 % 255, n * 71 % 255, n * 131 % 255]) * 0.5  # a tint per label beyond two
            Image.fromarray(img.clip(0, 255).astype(np.uint8)).save(Path(dest)/label/f'{i:03d}.jpg', quality=90)
    return Path(dest)

@pytest.fixture(scope='module')
def photos(tmp_path_factory): return make_photos(tmp_path_factory.mktemp('photos'), 20)

def test_auto_size_is_64_for_the_sample_and_224_for_photos(sample_data, photos):
    from primer_lib.settings import workshop_settings
    from primer_lib.image_files import auto_image_size
    assert workshop_settings().image_size_setting == 'auto'  # the shipped default
    assert workshop_settings(data_dir=sample_data, image_size='auto').image_size == 64
    assert workshop_settings(data_dir=photos, image_size='auto').image_size == 224
    assert workshop_settings(data_dir=photos, image_size=96).image_size == 96  # an explicit size is honoured
    assert '(photos)' in auto_image_size(photos)[1] and '128 px' in auto_image_size(sample_data)[1]

def test_onnxruntime_body_equals_pytorch(photos):
    from primer_lib.data import workshop_dataloaders
    from primer_lib.training import workshop_learner, run_body
    learn = workshop_learner(workshop_dataloaders(photos, None, 224, 0.2, 0, 8, augment=False), 'efficientnet_lite0')
    files = sorted(photos.rglob('*.jpg'))[::5]
    (onnx, onnx_flip), (pytorch, pytorch_flip) = run_body(learn, files, flip=True, onnx=True), run_body(learn, files, flip=True, onnx=False)
    assert onnx.shape == (len(files), 1280) and (onnx - pytorch).abs().max() < 1e-4 and (onnx_flip - pytorch_flip).abs().max() < 1e-4

def test_a_failing_export_warns_and_uses_pytorch(photos, tmp_path, monkeypatch):
    import primer_lib.training as training
    from primer_lib.data import workshop_dataloaders
    learn = training.workshop_learner(workshop_dataloaders(photos, None, 64, 0.2, 0, 8, augment=False), 'efficientnet_lite0')
    files = sorted(photos.rglob('*.jpg'))[:4]
    expected, _ = training.run_body(learn, files, onnx=False)
    def broken(net, path): raise RuntimeError('no exporter here')
    monkeypatch.setattr(training, '_export_onnx', broken); monkeypatch.setattr(training, '_sessions', {})
    monkeypatch.setenv('PRIMER_CACHE_DIR', str(tmp_path))
    with pytest.warns(UserWarning, match='runs in PyTorch.*no exporter here'): got, _ = training.run_body(learn, files)
    assert torch.allclose(got, expected, atol=1e-5)

def test_reported_accuracy_is_what_validate_and_predict_give(photos, tmp_path, monkeypatch):
    import primer_lib.training as training
    from primer_lib.settings import workshop_settings
    calls, fit = [], training.fit_linear_head
    monkeypatch.setattr(training, 'fit_linear_head', lambda x, y, n, wd=0.03, iterations=100: calls.append((len(x), wd)) or fit(x, y, n, wd, iterations))
    monkeypatch.setattr(training, 'choose_weight_decay', lambda *a, **k: 0.123)  # the head gets whatever cross-validation chose
    cfg = workshop_settings(data_dir=photos, model_path=tmp_path/'m.pkl', image_size='auto', recipe='fast', finetune_seconds=0)
    learn, summary = training.train_classifier(cfg, all_labels=True)
    assert summary['image_size'] == 224 and 'photos' in summary['image_size_reason'] and summary['weight_decay'] == 0.123
    assert calls[-1] == (2 * summary['n_train'], 0.123)  # every training image and its mirror image
    with learn.no_bar(): assert abs(float(learn.validate()[2]) - summary['accuracy']) < 1e-6
    manifest = training.export_model(learn, cfg.model_path, cfg.arch, cfg.image_size)
    assert manifest['network']['pool'] == 'avg' and manifest['preprocessing']['resize']['size'] == [224, 224]
    valid = list(learn.dls.valid_ds.items)
    res = primer('predict', '--model', cfg.model_path, *valid)
    assert res.returncode == 0, res.stderr
    right = [json.loads(l)['label'] == Path(f).parent.name for l, f in zip(res.stdout.splitlines(), valid)]
    assert abs(sum(right) / len(right) - summary['accuracy']) < 1e-6

def test_cross_validation_picks_the_weight_decay_that_generalises():
    from primer_lib.training import choose_weight_decay
    torch.manual_seed(0)
    y = torch.randint(0, 2, (60,)); x = torch.randn(60, 200)  # noise in many dimensions: a weak L2 memorises it, a strong one does not
    assert choose_weight_decay(x, y, 2, candidates=(1e-4, 1.0)) == 1.0
    x = torch.randn(60, 3) * 0.1 + torch.nn.functional.one_hot(y, 3).float() * 3  # a clean signal: weak L2 wins
    assert choose_weight_decay(x, y, 2, candidates=(1e-4, 10.0)) == 1e-4

def test_top5_accuracy_past_ten_labels(tmp_path):
    from primer_lib.settings import workshop_settings
    from primer_lib.training import train_classifier, workshop_metrics
    assert len(workshop_metrics(10)) == 2 and len(workshop_metrics(11)) == 3
    data = make_photos(tmp_path/'many', 5, labels=[f'l{i:02d}' for i in range(11)], size=(80, 60))
    learn, summary = train_classifier(workshop_settings(data_dir=data, image_size='auto', recipe='fast', finetune_seconds=0), all_labels=True)
    assert summary['image_size'] == 64 and 0 <= summary['accuracy'] <= summary['top5_accuracy'] <= 1
    with learn.no_bar(): assert abs(float(learn.validate()[3]) - summary['top5_accuracy']) < 1e-6

def test_a_size_too_small_for_the_body_is_called_out(tmp_path):
    from primer_lib.settings import workshop_settings, chosen_image_size
    assert 'under 48 px' in chosen_image_size(workshop_settings(data_dir=tmp_path, image_size=32))[1]
    assert chosen_image_size(workshop_settings(data_dir=tmp_path, image_size=64)) == (64, 'the setting image_size')
