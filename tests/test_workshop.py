"`primer workshop` runs every lesson notebook in order, headless, and keeps the executed copies."
import json
import nbformat
from conftest import primer

def test_workshop_runs_every_notebook(tmp_path):
    env = dict(PRIMER_DATA_DIR=str(tmp_path/'data'), PRIMER_MODEL_PATH=str(tmp_path/'model.pkl'),
               PRIMER_IMAGES_PER_LABEL='30', PRIMER_EPOCHS='1')
    res = primer('workshop', '--out', tmp_path/'runs', env=env, timeout=1500)
    assert res.returncode == 0, res.stdout + res.stderr
    names = sorted(p.name for p in (tmp_path/'runs').glob('*.ipynb'))
    assert names[0] == '00_setup.ipynb' and '07_app.ipynb' in names and len(names) >= 9
    assert (tmp_path/'model.pkl').is_file() and sorted(p.name for p in (tmp_path/'data').iterdir() if not p.name.startswith('.')) == ['3', '7', 'attribution.csv']
    train = nbformat.read(tmp_path/'runs'/'03_train.ipynb', as_version=4)
    outputs = [o for c in train.cells if c.cell_type == 'code' for o in c.outputs]
    assert any('image/png' in o.get('data', {}) for o in outputs)  # the lr_find plot
    assert any('accuracy' in json.dumps(o) for o in outputs)  # the training table
    setup = nbformat.read(tmp_path/'runs'/'00_setup.ipynb', as_version=4)
    colab = next(c for c in setup.cells if 'google.colab' in c.source)
    assert colab.execution_count is None and colab.outputs == []  # flagged `network`: skipped
    assert str(tmp_path/'model.pkl') in res.stdout
    clean = nbformat.read(tmp_path/'runs'/'05_clean.ipynb', as_version=4)
    assert any('after cleaning' in json.dumps(o) for c in clean.cells if c.cell_type == 'code' for o in c.outputs)
    assert len(list((tmp_path/'data'/'.cleaning').glob('*.json'))) == 1
    assert len(list((tmp_path/'data'/'.quarantine').rglob('*.jpg'))) == 1  # the stand-in marks: one deleted, one relabelled
