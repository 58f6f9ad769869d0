"scripts/run_lessons_alone.py (`make lessons-alone`), on two made-up lessons: each alone, primer installed by its first cell."
import subprocess, sys
import nbformat, pytest
from nbformat.v4 import new_notebook, new_code_cell
from conftest import ROOT
from primer_lib.workshop import INSTALL_CELL

COLAB_PYTHON = ROOT/'.venv-colab'/'bin'/'python'

@pytest.mark.skipif(not COLAB_PYTHON.exists(), reason='no .venv-colab: make .venv-colab/.installed builds it (make lessons-alone does)')
def test_each_lesson_alone(tmp_path):
    look = "import os, ipywidgets, primer_lib; print(os.listdir('.'), ipywidgets.__version__, os.environ['PRIMER_UNATTENDED'], primer_lib.__file__)"
    nbformat.write(new_notebook(cells=[new_code_cell(INSTALL_CELL), new_code_cell(look),
                                       new_code_cell('#| network\nraise SystemExit("skipped, as in nbdev-test")')]), tmp_path/'00_good.ipynb')
    nbformat.write(new_notebook(cells=[new_code_cell(INSTALL_CELL), new_code_cell('1/0')]), tmp_path/'01_bad.ipynb')
    res = subprocess.run([sys.executable, ROOT/'scripts'/'run_lessons_alone.py', '--out', tmp_path/'runs',
                          tmp_path/'00_good.ipynb', tmp_path/'01_bad.ipynb'], capture_output=True, text=True, timeout=600)
    assert res.returncode == 1, res.stdout + res.stderr
    good, bad, total = res.stdout.strip().splitlines()
    assert good.startswith('00_good.ipynb') and good.endswith(' s  ok')
    assert bad.startswith('01_bad.ipynb') and bad.endswith('FAILED: ZeroDivisionError: division by zero')
    assert total.startswith('Ran 2 lessons alone in ') and total.endswith(f'; failed: 01_bad (executed copies in {tmp_path/"runs"})')
    ran = nbformat.read(tmp_path/'runs'/'00_good.ipynb', as_version=4)
    assert ran.cells[0].outputs == [] and ran.cells[2].outputs == []
    seen = ran.cells[1].outputs[0].text.split()
    assert seen[0] == "['00_good.ipynb']" and seen[1:3] == ['7.7.1', '1'] and seen[3].startswith(str(ROOT/'.venv-colab'/'lib'))  # installed, not editable

def alone_script():
    "scripts/run_lessons_alone.py as a module"
    import importlib.util
    spec = importlib.util.spec_from_file_location('run_lessons_alone', ROOT/'scripts'/'run_lessons_alone.py')
    module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)
    return module

def test_labels_cell_times_and_checks(tmp_path):
    "The one notebook's labels set as a learner types them, its section times, and what the check refuses"
    alone = alone_script()
    nb = tmp_path/'workshop.ipynb'
    nb.write_text((ROOT/'workshop.ipynb').read_text())
    alone.set_labels_cell(nb, '1, 4')
    cell = next(c for c in nbformat.read(nb, as_version=4).cells if 'your_labels(' in c.source)
    assert "\nlabels = '1, 4'  #@param" in '\n' + cell.source
    ran = new_notebook(cells=[new_code_cell('1'), nbformat.v4.new_markdown_cell('## 00 · A', metadata=dict(primer=dict(lesson='00_a'))),
                              new_code_cell('2'), new_code_cell('3'), new_code_cell('#| network')])
    def at(s): return f'2026-01-01T00:00:{s:06.3f}Z'
    for c, (a, b) in zip([ran.cells[0], ran.cells[2], ran.cells[3]], [(0, 1.5), (2, 4), (5, 5.5)]):
        c.metadata['execution'] = {'iopub.status.busy': at(a), 'iopub.status.idle': at(b)}
    nbformat.write(ran, tmp_path/'ran.ipynb')
    assert alone.section_times(tmp_path/'ran.ipynb') == [('start', 1.5), ('00_a', 2.5)]
    (tmp_path/'settings.ini').write_text('[workshop]\nlabels = 1,4\n')
    assert alone.check_workshop(tmp_path, '1, 4') == f"its model at {tmp_path/'models'/'classifier.pkl'} has the labels None, not ['1', '4']"
    assert alone.check_workshop(tmp_path, '3, 7') == "its settings have the labels ('1', '4'), not ['3', '7']"
    with pytest.raises(SystemExit, match='has no labels cell'): alone.set_labels_cell(tmp_path/'ran.ipynb', '1, 4')
    said = new_notebook(cells=[new_code_cell('ensure_model(cfg)', outputs=[nbformat.v4.new_output('stream', name='stdout', text='Trained.\nNo model at m.pkl yet: training one\n')])])
    nbformat.write(said, tmp_path/'said.ipynb')
    assert alone.redone(tmp_path/'said.ipynb') == 'a section made again what an earlier one had made: No model at m.pkl yet: training one'
    assert alone.redone(tmp_path/'ran.ipynb') is None

@pytest.mark.skipif(not COLAB_PYTHON.exists(), reason='no .venv-colab: make .venv-colab/.installed builds it (make lessons-alone does)')
def test_colab_like_environment_has_colabs_versions():
    "Every exact pin of scripts/requirements-colab.txt (Colab's own versions) is what .venv-colab has"
    import re
    pins = dict(re.findall(r'^([A-Za-z0-9_.-]+)==(\S+)', (ROOT/'scripts'/'requirements-colab.txt').read_text(), re.M))
    assert {'fastai', 'fastcore', 'timm', 'ipython', 'ipykernel', 'numpy', 'pillow', 'ipywidgets', 'torch'} <= set(pins)
    code = 'import importlib.metadata as m, json, sys; print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))'
    res = subprocess.run([COLAB_PYTHON, '-c', code, *pins], capture_output=True, text=True, check=True)
    import json
    assert json.loads(res.stdout) == pins
