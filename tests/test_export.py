"An exported model, loaded in a fresh process, predicts exactly what the trained learner predicted."
import json, pickletools, zipfile
import pytest
from conftest import primer

def pickled_strings(model_path):
    "Every string in the export's pickle: module and class names among them"
    with zipfile.ZipFile(model_path) as z: data = z.read(next(n for n in z.namelist() if n.endswith('data.pkl')))
    return {arg for op, arg, _ in pickletools.genops(data) if isinstance(arg, str)}

@pytest.mark.parametrize('recipe,finetune', [('fast', 0), ('fast', 3), ('classic', 0)])
def test_export_then_load_in_fresh_process_gives_same_predictions(sample_data, tmp_path, recipe, finetune):
    from primer_lib.settings import workshop_settings
    from primer_lib.training import train_classifier, export_model
    from primer_lib.predict import predict_files
    cfg = workshop_settings(data_dir=sample_data, model_path=tmp_path/'m.pkl', epochs=1, image_size=32, recipe=recipe,
                            finetune_seconds=finetune)
    learn, summary = train_classifier(cfg)
    assert summary['recipe'] == recipe
    with learn.no_bar(): assert abs(float(learn.validate()[2]) - summary['accuracy']) < 1e-3
    images = sorted(sample_data.rglob('*.jpg'))[::10]
    in_memory = predict_files(learn, images)
    export_model(learn, cfg.model_path, cfg.arch, cfg.image_size)
    assert '__main__' not in pickled_strings(cfg.model_path)
    res = primer('predict', '--model', cfg.model_path, *images)
    assert res.returncode == 0, res.stderr
    fresh = [json.loads(l) for l in res.stdout.strip().splitlines()]
    assert [r['label'] for r in fresh] == [r['label'] for r in in_memory]
    for a, b in zip(fresh, in_memory):
        for k in a['probabilities']: assert abs(a['probabilities'][k] - b['probabilities'][k]) < 1e-3
