"`primer workshop` runs the eight lessons in order, headless and unattended, and keeps the executed copies."
import json
import nbformat
from conftest import primer, ROOT
from primer_lib.cli import cell_flags, SKIPPED_FLAGS

LESSONS = sorted(p.name for p in (ROOT/'nbs').glob('0[0-7]_*.ipynb'))

def outputs(nb):
    "Every output of the notebook `nb`, as JSON text"
    return [json.dumps(o) for c in nb.cells if c.cell_type == 'code' for o in c.outputs]

def test_workshop_runs_every_lesson(tmp_path):
    env = dict(PRIMER_DATA_DIR=str(tmp_path/'data'), PRIMER_MODEL_PATH=str(tmp_path/'model.pkl'),
               PRIMER_IMAGES_PER_LABEL='30', PRIMER_EPOCHS='1')
    res = primer('workshop', '--out', tmp_path/'runs', env=env, timeout=1500)
    assert res.returncode == 0, res.stdout + res.stderr
    assert len(LESSONS) == 8 and sorted(p.name for p in (tmp_path/'runs').glob('*.ipynb')) == LESSONS
    assert [l.split()[1] for l in res.stdout.splitlines() if l.startswith('Running ')] == LESSONS  # in order, lessons only
    assert (tmp_path/'model.pkl').is_file() and sorted(p.name for p in (tmp_path/'data').iterdir() if not p.name.startswith('.')) == ['3', '7', 'attribution.csv']
    ran = {name: nbformat.read(tmp_path/'runs'/name, as_version=4) for name in LESSONS}
    for name, nb in ran.items():
        install = next(c for c in nb.cells if c.cell_type == 'code')
        assert install.execution_count is not None and install.outputs == [], name  # primer is there: it does nothing
        for c in nb.cells:  # flagged `network` or `gpu`: skipped
            if c.cell_type == 'code' and cell_flags(c.source) & set(SKIPPED_FLAGS): assert c.execution_count is None and c.outputs == [], name
    train = outputs(ran['03_train.ipynb'])
    assert any('image/png' in o for o in train)  # the lr_find plot
    assert any('accuracy' in o for o in train)  # the training table
    assert str(tmp_path/'model.pkl') in res.stdout
    assert any('after cleaning' in o for o in outputs(ran['05_clean.ipynb']))
    # the stand-in marks of 05, which act only in an unattended run: one image deleted, one relabelled
    assert len(list((tmp_path/'data'/'.cleaning').glob('*.json'))) == 1
    assert len(list((tmp_path/'data'/'.quarantine').rglob('*.jpg'))) == 1
