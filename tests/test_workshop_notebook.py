"""workshop.ipynb, the whole workshop in one notebook (scripts/build_workshop_notebook.py): made from the lessons' cell
structure, up to date, and its labels cell, run as a learner edits it, stops bad labels with one line before anything
downloads."""
import json, os, re, subprocess, sys
import nbformat
from nbformat.v4 import new_notebook, new_code_cell, new_markdown_cell
from conftest import ROOT
from primer_lib.workshop import INSTALL_CELL

SCRIPT = ROOT/'scripts'/'build_workshop_notebook.py'

def build(*args):
    return subprocess.run([sys.executable, SCRIPT, *map(str, args)], capture_output=True, text=True, timeout=300)

def cells(path): return json.loads(path.read_text())['cells']

def source(c): return ''.join(c['source'])

def test_made_from_the_lessons_cell_structure(tmp_path):
    nbs = tmp_path/'nbs'; nbs.mkdir()
    hidden = dict(jupyter=dict(source_hidden=True))
    nbformat.write(new_notebook(cells=[
        new_markdown_cell('# First steps\n\n> A summary.'), new_code_cell(INSTALL_CELL, metadata=dict(cellView='form', **hidden)),
        new_code_cell('#| default_exp first\n#| export\nimport os'), new_markdown_cell('## A part\n\nSee [the next one](01_next.ipynb) '
        'and [settings](10_settings.ipynb).\n\n```python\n# a comment, not a heading\n```'),
        new_code_cell("#| network\n# cfg = save_settings(labels='a, b', source='ddg')"),
        new_code_cell("cfg = save_settings(labels='a, b')\ncfg"), new_code_cell('#| hide\nprint(1)', metadata=hidden),
        new_code_cell('#| export\n')]), nbs/'00_first.ipynb')
    nbformat.write(new_notebook(cells=[new_code_cell(INSTALL_CELL), new_markdown_cell('Prose, no title.'), new_code_cell('2 + 2')]),
                   nbs/'01_next.ipynb')
    nbformat.write(new_notebook(cells=[new_markdown_cell('# Library')]), nbs/'10_settings.ipynb')
    out = tmp_path/'workshop.ipynb'
    res = build('--nbs', nbs, '--out', out)
    assert res.returncode == 0 and res.stdout.strip() == f'Wrote {out}.', res.stderr
    made = cells(out)
    code = [source(c) for c in made if c['cell_type'] == 'code']
    assert code[0] == INSTALL_CELL and made[1]['metadata'] == dict(cellView='form', **hidden)  # one install cell, collapsed
    assert code.count(INSTALL_CELL) == 1
    assert 'cfg = your_labels(labels, source, on_drive)' in code[1] and re.search(r"^labels = '3, 7'", code[1], re.M)
    assert code[2:] == ['import os', "#| network\n# cfg = save_settings(labels='a, b', source='ddg')",
                        '# In this notebook, the "Your labels" cell at the top sets the labels; the lesson\'s own line, commented out:\n'
                        "# cfg = save_settings(labels='a, b')\n# cfg", '#| hide\nprint(1)', '2 + 2']
    heads = [(source(c).splitlines()[0], c['metadata'].get('primer')) for c in made if c['cell_type'] == 'markdown' and source(c).startswith('#')]
    assert heads == [('# The workshop in one notebook', None), ('## Your labels', None), ('## 00 · First steps', dict(lesson='00_first')),
                     ('### A part', None), ('## 01 · next', dict(lesson='01_next'))]
    part = next(source(c) for c in made if source(c).startswith('### A part'))
    assert 'See **the next one** and [settings](https://github.com/YOUR-ORG/primer/blob/main/nbs/10_settings.ipynb)' in part
    assert '# a comment, not a heading' in part
    assert all(c.get('outputs', []) == [] for c in made)
    assert build('--nbs', nbs, '--out', out, '--check').returncode == 0  # up to date
    out.write_text(out.read_text().replace('First steps', 'Old title'))
    res = build('--nbs', nbs, '--out', out, '--check')
    assert res.returncode == 1 and 'differed from the lessons' in res.stdout and 'First steps' in out.read_text()

def test_the_one_notebook_is_up_to_date():
    res = build('--check', '--out', ROOT/'workshop.ipynb')
    assert res.returncode == 0, res.stdout + res.stderr
    made = cells(ROOT/'workshop.ipynb')
    lessons = sorted(p.stem for p in (ROOT/'nbs').glob('0[0-7]_*.ipynb'))
    assert [c['metadata']['primer']['lesson'] for c in made if 'primer' in c['metadata']] == lessons
    assert sum(source(c) == INSTALL_CELL for c in made) == 1

def labels_cell(labels):
    "The one notebook's labels cell, with `labels` typed in, as a learner does"
    cell = next(source(c) for c in cells(ROOT/'workshop.ipynb') if 'your_labels(' in source(c))
    return re.sub(r"^labels = '[^']*'", lambda m: f'labels = {labels!r}', cell, count=1, flags=re.M)

def with_source(text, source): return re.sub(r"^source = '[^']*'", f'source = {source!r}', text, count=1, flags=re.M)

RUN_EACH = """import json, os, sys
said = []
for text in json.loads(sys.argv[1]):
    try: exec(text, {}); said.append(None)
    except SystemExit as e: said.append([str(e), sorted(os.listdir('.'))])
print(json.dumps(said))"""

def test_labels_cell_as_a_learner_edits_it(tmp_path):
    "Each cell as a learner would edit it, run in one fresh Python (a runtime) in an empty folder"
    bad = [('1, 4', 'sampel', "source = 'sampel' is not a source primer knows: did you mean 'sample'?"),
           ('1, ', 'sample', 'at least two labels separated by commas'),
           ('cat, dog', 'sample', 'The sample source has only the digits 0 to 9'),
           ('cat, cat', 'ddg', 'labels that are all different')]
    texts = [with_source(labels_cell(labels), source) for labels, source, _ in bad]
    texts.append(labels_cell('1, 4') + '\nprint(cfg.labels, cfg.data_dir, flush=True)')
    env = {k: v for k, v in os.environ.items() if not k.startswith('PRIMER_')}
    res = subprocess.run([sys.executable, '-c', RUN_EACH, json.dumps(texts)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    said = json.loads(res.stdout.splitlines()[-1])
    for (labels, source, says), stopped in zip(bad, said):
        message, files = stopped
        assert message.startswith('Your labels: ') and says in message and '\n' not in message, message
        assert files == []  # nothing written, nothing downloaded
    assert said[-1] is None and res.stdout.splitlines()[-2] == f"('1', '4') {tmp_path/'data'}"
    assert 'labels = 1,4' in (tmp_path/'settings.ini').read_text() and sorted(p.name for p in tmp_path.iterdir()) == ['settings.ini']

def test_readme_table_gains_run_times():
    "lesson_stats --readme: each lesson's run time in the one notebook beside its reading time, and the two together"
    import importlib.util
    spec = importlib.util.spec_from_file_location('lesson_stats', ROOT/'scripts'/'lesson_stats.py')
    stats = importlib.util.module_from_spec(spec); spec.loader.exec_module(stats)
    rows = [dict(nb='00_a', md_share=0.5, words=180, code_cells=1, visible_code_lines=2, lesson_median=2, minutes=20.0),
            dict(nb='01_b', md_share=0.6, words=360, code_cells=2, visible_code_lines=4, lesson_median=2, minutes=25.0)]
    total = dict(total_minutes=45.0, words=540, code_cells=3, visible_code_lines=6, min_md_share=0.5, max_lesson_median=2, terms_late=[])
    times = dict(sections={'start': 60, '00_a': 30, '01_b': 210}, cpus=2, load_average=1.0, measured='2026-12-07')
    table = stats.with_run_times(stats.markdown_table(rows, total), rows, total, times).splitlines()
    assert table[0].endswith('| minutes | run on a CPU |') and table[1].endswith('|---|---|')
    assert table[2].endswith('| 20.0 | 0.5 |') and table[3].endswith('| 25.0 | 3.5 |') and table[4].endswith('| **45** | **5** |')
    assert table[-1].endswith('the total includes 1.0 minutes of installing primer and setting the labels. Reading and running together: about 50 minutes.')
