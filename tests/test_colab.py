"""The lessons' install cell in a Python where primer is missing, and `make colab`'s script, which sets the address it
installs from in every lesson, in INSTALL_CELL and in the README's Open-in-Colab links."""
import ast, json, os, re, shutil, subprocess, sys
import pytest
from conftest import ROOT
from primer_lib.workshop import INSTALL_CELL

URL = 'https://github.com/a-fork/primer-workshop'

PLACEHOLDER = re.sub(r"REPO = '[^']*'", "REPO = 'https://github.com/YOUR-ORG/primer'", INSTALL_CELL)  # before make colab

def run_install_cell(python, cwd, **env):
    "Run the install cell (with the placeholder address) with `python`, then import primer_lib in the same process"
    base = {k: v for k, v in os.environ.items() if k not in ('PRIMER_INSTALL', 'PYTHONPATH', 'VIRTUAL_ENV')}
    return subprocess.run([str(python), '-c', PLACEHOLDER + '\nimport primer_lib; print(primer_lib.__file__)'], cwd=cwd,
                          env={**base, **env}, capture_output=True, text=True, timeout=600)

def test_install_cell_in_a_new_environment(tmp_path):
    subprocess.run([sys.executable, '-m', 'venv', tmp_path/'venv'], check=True)
    python = tmp_path/'venv'/'bin'/'python'
    res = run_install_cell(python, tmp_path)  # the placeholder address, no PRIMER_INSTALL: says what to set
    assert res.returncode == 1 and 'Traceback' not in res.stderr
    assert res.stderr.splitlines() == ["The workshop's address is not set: ask your presenter for it, or in your copy run "
                                       "make colab REPO=https://github.com/you/primer"]
    res = run_install_cell(python, tmp_path, PRIMER_INSTALL=str(tmp_path/'no-such-checkout'))  # pip's reason
    assert res.returncode == 1 and 'Traceback' not in res.stderr and len(res.stderr.splitlines()) == 1
    assert res.stderr.startswith(f"pip could not install primer from {tmp_path/'no-such-checkout'}: ")
    assert "no-such-checkout' does not exist. Check the address, or PRIMER_INSTALL." in res.stderr
    # The checkout: installed, not editable, and importable in the process that installed it. Without its dependencies
    # (torch and all), which primer_lib's own import does not need: `make lessons-alone` installs it with them.
    res = run_install_cell(python, tmp_path, PRIMER_INSTALL=str(ROOT), PIP_NO_DEPS='1')
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip().startswith(str(tmp_path/'venv'/'lib')) and res.stdout.strip().endswith('primer_lib/__init__.py')

def test_install_cell_does_nothing_when_primer_is_there(monkeypatch):
    monkeypatch.setenv('PRIMER_INSTALL', '/no/such/checkout')
    exec(INSTALL_CELL, {})

def copy_of_repo(dest):
    "The repository's source files (no environments, data or builds) copied to `dest`"
    skip = shutil.ignore_patterns('.venv*', '.git', 'data', 'models', 'runs', 'build', '*.egg-info', '__pycache__', '.pytest_cache', 'test-artifacts')
    return shutil.copytree(ROOT, dest, ignore=skip)

def files(repo):
    "The notebooks and modules of `repo`: {relative path: text}"
    return {str(p.relative_to(repo)): p.read_text() for p in [*repo.glob('nbs/*.ipynb'), *repo.glob('primer_lib/*.py')]}

def cells(text): return [''.join(c['source']) for c in json.loads(text)['cells']]

def install_cell(repo):
    "INSTALL_CELL as primer_lib/workshop.py in `repo` has it"
    tree = ast.parse((repo/'primer_lib'/'workshop.py').read_text())
    return next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == 'INSTALL_CELL')

def set_repo(repo, *args):
    return subprocess.run([sys.executable, 'scripts/set_repo.py', *args], cwd=repo, capture_output=True, text=True)

def export(repo): subprocess.run([str(ROOT/'.venv'/'bin'/'nbdev-export')], cwd=repo, check=True)

def test_set_repo_sets_the_address_everywhere(tmp_path):
    repo = copy_of_repo(tmp_path/'repo')
    export(repo)  # primer_lib as the notebooks are now
    before = files(repo)
    res = set_repo(repo, URL)
    assert res.returncode == 0, res.stderr
    after = files(repo)
    lessons = sorted(f'nbs/{p.name}' for p in (repo/'nbs').glob('0[0-7]_*.ipynb'))
    assert len(lessons) == 8
    assert {k for k in after if after[k] != before[k]} == {*lessons, 'nbs/17_workshop.ipynb', 'nbs/index.ipynb', 'primer_lib/workshop.py'}
    cell = install_cell(repo)
    assert f"REPO = '{URL}'" in cell and cell.replace(URL, 'X') == re.sub(r"REPO = '[^']*'", "REPO = 'X'", INSTALL_CELL)
    for nb in lessons:  # each lesson: its install cell is INSTALL_CELL again, and no other cell changed
        old, new = cells(before[nb]), cells(after[nb])
        first = next(i for i, c in enumerate(json.loads(after[nb])['cells']) if c['cell_type'] == 'code')
        assert new[first] == cell and new[:first] + new[first+1:] == old[:first] + old[first+1:]
    changed = [(o, n) for o, n in zip(cells(before['nbs/17_workshop.ipynb']), cells(after['nbs/17_workshop.ipynb'])) if o != n]
    assert len(changed) == 1 and 'INSTALL_CELL = ' in changed[0][1]
    index = '\n'.join(cells(after['nbs/index.ipynb']))
    for nb in lessons: assert f'(https://colab.research.google.com/github/a-fork/primer-workshop/blob/main/{nb})' in index
    # the first Colab link opens the one notebook, which installs from the fork too
    links = re.findall(r'\(https://colab\.research\.google\.com/github/([^)]*)\)', index)
    assert links[0] == 'a-fork/primer-workshop/blob/main/workshop.ipynb' and len(links) == 9
    one = cells((repo/'workshop.ipynb').read_text())
    assert cell in one and one.count(cell) == 1
    export(repo)
    assert files(repo) == after  # primer_lib matches the notebooks

def test_set_repo_again_and_refused(tmp_path):
    repo = copy_of_repo(tmp_path/'repo')
    assert set_repo(repo, URL).returncode == 0
    assert set_repo(repo, 'https://github.com/other/fork.git').returncode == 0  # the links are replaced, not added
    index = (repo/'nbs'/'index.ipynb').read_text()
    assert 'a-fork/primer-workshop' not in index and index.count('github/other/fork/blob/main/nbs/0') == 8
    assert "REPO = 'https://github.com/other/fork'" in install_cell(repo)
    before = files(repo)
    for bad in ['github.com/you/primer', 'https://gitlab.com/you/primer', 'https://github.com/you', "https://github.com/you/p'x", '']:
        res = set_repo(repo, bad)
        assert res.returncode == 1 and len(res.stderr.splitlines()) == 1 and 'https://github.com/OWNER/NAME' in res.stderr, bad
    assert files(repo) == before
