"scripts/lesson_stats.py, on a made-up lesson whose figures are counted by hand."
import json, subprocess, sys
from nbformat.v4 import new_notebook, new_code_cell, new_markdown_cell
import nbformat
from conftest import ROOT

def tiny_lesson(path):
    "3 markdown cells (38 words), 6 code cells: 9 visible lines, lesson cells of 2 and 1 lines, `lr` used before explained"
    nbformat.write(new_notebook(cells=[
        new_markdown_cell('# Tiny\n\n> A made-up lesson.'),
        new_code_cell('#@title Install\nimport os\nprint(1)', metadata={'cellView': 'form'}),  # collapsed: not visible
        new_code_cell('#| default_exp tiny\n#| export\nimport os'),
        new_markdown_cell('We hold out a validation set, and each epoch sees every image once; the loss says how wrong, '
                          'and we stop before we overfit:'),
        new_code_cell('dls = get_dls(valid_pct=0.2)\ndls.show_batch()'),
        new_code_cell('#| export\ndef f():\n    return 1'),
        new_code_cell('#| hide\nassert f() == 1', metadata={'jupyter': {'source_hidden': True}}),
        new_code_cell('learn.fit(1, lr=0.1)'),
        new_markdown_cell('The learning rate is the size of each step.')]), path)
    return path

def stats(*args):
    return subprocess.run([sys.executable, ROOT/'scripts'/'lesson_stats.py', *map(str, args)], capture_output=True, text=True)

def test_figures_of_a_tiny_lesson(tmp_path):
    res = stats('--json', tiny_lesson(tmp_path/'tiny.ipynb'))
    assert res.returncode == 0, res.stderr
    row, total = map(json.loads, res.stdout.splitlines())
    assert row == dict(nb='tiny', md_share=0.33, words=38, code_cells=6, visible_code_lines=9, export_lines=3,
                       lesson_median=1.5, lesson_max=2, minutes=round(38/180 + 9/20 + 6*10/60, 1))
    assert total['total_minutes'] == 1.7 and total['terms_late'] == ['learning rate']

def test_markdown_table_and_check(tmp_path):
    res = stats('--check', tiny_lesson(tmp_path/'tiny.ipynb'))
    assert res.returncode == 1
    assert '| `tiny` | 33% | 38 | 6 | 9 | 1.5 | 1.7 |' in res.stdout.splitlines()
    assert res.stdout.strip().splitlines()[-1] == 'Terms used in code before the prose explains them: learning rate.'
    assert res.stderr.splitlines() == ['missed: tiny: 33% markdown cells', 'missed: learning rate used in code before the prose explains it']

def test_the_lessons_by_default():
    res = stats()
    assert res.returncode == 0, res.stderr
    assert sum(line.startswith('| `0') for line in res.stdout.splitlines()) == 8

def test_the_lessons_meet_their_targets_and_the_readme_shows_their_figures():
    res = stats('--check')
    assert res.returncode == 0, res.stderr  # each lesson >= 50 % markdown cells, median cell <= 4 lines, 60 minutes in all
    assert res.stdout.strip() in (ROOT/'README.md').read_text(), "README's lesson figures are stale: run `make readme`."
