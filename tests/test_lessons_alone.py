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
