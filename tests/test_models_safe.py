"Models that cannot run code: rebuilt from the weights-only export, they predict what the Learner predicts, and a forged pickle never runs."
import json, pickle, shutil
import pytest, torch
from PIL import Image
from conftest import primer

def forge(model, dest, marker):
    "A pickle at `dest` that creates `marker` when unpickled, with `model`'s manifest (its sha256 made to match) and weights beside it"
    class Payload:
        def __reduce__(self): return (exec, (f"open({str(marker)!r}, 'w').write('the pickle ran')",))
    dest.write_bytes(pickle.dumps(Payload()))
    from primer_lib.model_files import sha256_of
    manifest = json.loads(model.with_suffix('.manifest.json').read_text())
    dest.with_suffix('.manifest.json').write_text(json.dumps({**manifest, 'sha256': sha256_of(dest)}))
    shutil.copy(model.with_suffix('.safetensors'), dest.with_suffix('.safetensors'))
    return dest

@pytest.mark.parametrize('recipe,size', [('fast', 32), ('classic', 48)])
def test_weights_only_model_predicts_what_the_learner_predicts(sample_data, tmp_path, recipe, size):
    from primer_lib.settings import workshop_settings
    from primer_lib.training import train_classifier, export_model
    from primer_lib.predict import load_safe_model, open_image
    cfg = workshop_settings(data_dir=sample_data, model_path=tmp_path/'m.pkl', epochs=1, image_size=size, recipe=recipe)
    learn, summary = train_classifier(cfg)
    assert summary['recipe'] == recipe
    manifest = export_model(learn, cfg.model_path, cfg.arch, cfg.image_size)
    assert manifest['network']['head'] == ('linear' if recipe == 'fast' else 'fastai')
    safe = load_safe_model(cfg.model_path)
    assert safe.dls.vocab == list(learn.dls.vocab)
    files = sorted(sample_data.rglob('*.jpg'))[::10]
    images = [open_image(f) for f in files] + [open_image(Image.open(files[0]).resize((90, 50))), open_image(Image.open(files[-1]).resize((40, 70)))]
    for img in images:  # square, wide and tall: the centre crop is the learner's
        with learn.no_bar(): label, _, expected = learn.predict(img)
        got = safe.predict(img)
        assert got[0] == label and torch.allclose(got[2], expected, atol=1e-4), (got, expected)

def test_a_forged_pickle_never_runs_on_the_default_path(trained, tmp_path, sample_data, monkeypatch):
    from primer_lib.predict import load_model
    from primer_lib.model_files import check_model_file
    from primer_lib.serve import app_model, app_env
    from primer_lib.settings import workshop_settings
    marker = tmp_path/'it-ran'
    forged = forge(trained[0], tmp_path/'forged.pkl', marker)
    check_model_file(forged, trust_pickle=True)  # its checksum matches: integrity is not trust
    assert load_model(forged).dls.vocab == ['3', '7']
    for k, v in app_env(forged, 1).items(): monkeypatch.setenv(k, v)
    assert app_model(workshop_settings()).dls.vocab == ['3', '7']  # what the app's page loads
    image = sorted((sample_data/'3').glob('*.jpg'))[0]
    res = primer('predict', '--model', forged, image)
    assert res.returncode == 0 and json.loads(res.stdout)['label'] in ('3', '7'), res.stderr
    forged.with_suffix('.safetensors').unlink()
    res = primer('predict', '--model', forged, image)
    assert res.returncode != 0 and 'no weights-only model' in res.stderr and 'Traceback' not in res.stderr, res.stderr
    assert not marker.exists(), 'the forged pickle ran'
    res = primer('predict', '--model', forged, '--trust-pickle', image)  # said plainly: trusted, the pickle is loaded
    assert res.returncode == 2 and 'Traceback' not in res.stderr and len(res.stderr.splitlines()) == 1, res.stderr
    assert marker.exists()  # it is a real payload: trusted, it runs

def test_predict_given_a_folder_predicts_the_images_in_it(trained, sample_data):
    res = primer('predict', '--model', trained[0], sample_data/'7')
    assert res.returncode == 0, res.stderr
    results = [json.loads(line) for line in res.stdout.splitlines()]
    assert len(results) == len(list((sample_data/'7').glob('*.jpg'))) and all(r['image'].endswith('.jpg') for r in results)
