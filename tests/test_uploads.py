"Uploading photos with Colab's ipywidgets 7.7.1, in the Colab-like environment (.venv-colab), the checkout on its path"
import os, subprocess, sys, textwrap
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
COLAB_PYTHON = ROOT/'.venv-colab'/'bin'/'python'

# A real ipywidgets 7 FileUpload, filled the way its browser side fills it (metadata, data, then the counter).
SCRIPT = textwrap.dedent('''
    import io, tempfile, ipywidgets
    from pathlib import Path
    from PIL import Image
    from primer_lib.settings import workshop_settings
    from primer_lib.uploads import photos_form, add_uploads
    print(ipywidgets.__version__)
    def jpeg(colour):
        buf = io.BytesIO(); Image.new('RGB', (200, 150), colour).save(buf, 'JPEG'); return buf.getvalue()
    cfg = workshop_settings(labels='cat,dog', data_dir=Path(tempfile.mkdtemp())/'data')
    form = photos_form(cfg)
    up = form.uploads['dog']
    files = {'a.jpg': jpeg('red'), 'b.jpg': jpeg('blue')}
    up.metadata = [dict(name=n, type='image/jpeg', size=len(d), lastModified=0) for n, d in files.items()]
    up.data = list(files.values())
    up._counter = 2
    print(sorted(up.value))
    said = []
    reports = add_uploads(form.uploads, cfg, said.append)
    print(said[0])
    print(repr(up.value), up._counter, len(up.data))
    print(add_uploads(form.uploads, cfg, said.append), said[-1])
''')

def run_with(python, extra_path=()):
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join([*map(str, extra_path), str(ROOT)])}
    out = subprocess.run([str(python), '-c', SCRIPT], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.splitlines()

@pytest.mark.skipif(not COLAB_PYTHON.exists(), reason='no .venv-colab: make .venv-colab/.installed builds it (make lessons-alone does)')
def test_upload_form_with_ipywidgets_7():
    lines = run_with(COLAB_PYTHON)
    assert lines[0] == '7.7.1'
    assert lines[1:] == ["['a.jpg', 'b.jpg']", 'Added 2 photos: dog 2 (now 2).', '{} 0 0',
                         '{} Nothing chosen yet: click a button above to choose photos first.']
