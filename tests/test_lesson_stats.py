"scripts/lesson_stats.py, on a made-up lesson whose figures are counted by hand."
import json, re, subprocess, sys
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

LESSON_PATHS = sorted((ROOT/'nbs').glob('0[0-7]_*.ipynb'))

def first_cell(seq, kind, rx):
    "The position of the first `kind` cell in `seq` whose text matches `rx` (None: none does)"
    return next((i for i, (t, s) in enumerate(seq) if t == kind and re.search(rx, s)), None)

def test_the_lessons_show_fastai_and_no_harness_in_colab():
    "Counted as Colab shows them (it honours only its form view): few library definitions, short cells, no harness"
    sys.path.insert(0, str(ROOT/'scripts'))
    import lesson_stats as ls
    shown = lambda c: c['cell_type'] == 'code' and c.get('metadata', {}).get('cellView') != 'form'
    cells = [ls.source(c) for p in LESSON_PATHS for c in ls.cells_of(p) if shown(c)]
    lines, export = sum(map(ls.line_count, cells)), sum(ls.line_count(s) for s in cells if ls.is_export(s))
    assert export <= 0.15 * lines, f'{export} of {lines} visible code lines are library definitions'
    assert max(map(ls.line_count, cells)) <= 8, "a visible lesson cell is longer than fastbook's longest (8 lines)"
    assert not [s for s in cells if re.search(r'unattended|PRIMER_UNATTENDED|\bassert\b', s)], 'a visible cell is test harness'

def test_terms_are_explained_before_code_uses_them():
    "weights, vocab, normalisation, pickle and image size: prose explains each before a code cell uses it"
    sys.path.insert(0, str(ROOT/'scripts'))
    import lesson_stats as ls
    seq = [(c['cell_type'], ls.source(c).lower()) for p in LESSON_PATHS for c in ls.cells_of(p)]
    terms = dict(weights=r'\bweights\b', vocab=r'\bvocab\b', normalisation=r'normali[sz]', pickle=r'pickl|\.pkl\b', image_size=r'image.size')
    def late(rx):
        prose, code = first_cell(seq, 'markdown', rx), first_cell(seq, 'code', rx)
        return prose is None or (code is not None and code < prose)
    explained_late = [t for t, rx in terms.items() if late(rx)]
    assert explained_late == [], f"used in code before the prose explains them: {explained_late}"
