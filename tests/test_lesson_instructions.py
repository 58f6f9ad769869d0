"""Every instruction in the lessons' prose that tells a learner to edit or run code, done exactly as written.

Each test reads the instruction and its code from the lesson notebook itself (not a copy), does what the prose says,
and runs the result against a scratch workshop, so it fails when a lesson's instruction stops working as written."""
import re, shutil, zipfile
import nbformat
import pytest
from conftest import ROOT
from primer_lib.workshop import scratch_workshop
from primer_lib.settings import workshop_settings

def lesson(name):
    "The cells of lesson `name` (like '01_download')"
    return nbformat.read(ROOT/'nbs'/f'{name}.ipynb', as_version=4).cells

def one(cells, text, kind):
    "The index of the one `kind` cell of `cells` that contains `text`"
    hits = [i for i, c in enumerate(cells) if c.cell_type == kind and text in c.source]
    assert len(hits) == 1, f"expected one {kind} cell with {text!r}, found {len(hits)}"
    return hits[0]

def code_to_run(markdown, after):
    "The code in backquotes that the prose `markdown` tells the learner to run, right after the words `after`"
    found = re.search(re.escape(after) + r'\s*`([^`]+)`', markdown)
    assert found, f"no code after {after!r} in: {markdown}"
    return found.group(1)

@pytest.fixture(scope='module')
def workshop():
    "A scratch workshop: sample digits and a fast-trained model in a new folder, removed afterwards"
    cfg = scratch_workshop(per_label=12)
    yield cfg
    shutil.rmtree(cfg.data_dir.parent)

def test_01_choosing_your_labels(tmp_path, monkeypatch):
    "01: 'delete that `# `, put your labels between the quotes, and run the cell'"
    cells = lesson('01_download')
    i = one(cells, 'delete that `# `', 'markdown')
    assert 'put your labels between the quotes' in cells[i].source
    cell = next(c for c in cells[i + 1:] if c.cell_type == 'code')
    switched_off = [l for l in cell.source.splitlines() if l.startswith('# ')]
    assert len(switched_off) == 1 and 'save_settings(' in switched_off[0], cell.source
    edited = '\n'.join(l[2:] if l.startswith('# ') else l for l in cell.source.splitlines())  # delete that `# `
    edited = re.sub(r"labels='[^']*'", "labels='cat, dog'", edited)  # your labels between the quotes
    monkeypatch.chdir(tmp_path)  # no settings.ini here or above: save_settings writes a new one, as in Colab
    ns = {}
    setup = cells[one(cells, 'import workshop_settings, save_settings', 'code')].source  # the lesson's own import
    exec(setup, ns)
    exec(edited, ns)
    assert list(ns['cfg'].labels) == ['cat', 'dog'] and ns['cfg'].source == 'ddg'
    again = workshop_settings()  # what every later notebook reads: the new settings.ini
    assert (tmp_path/'settings.ini').is_file() and list(again.labels) == ['cat', 'dog'] and again.source == 'ddg'

def test_05_undo_line(workshop):
    "05: 'In a new cell, run `undo_last_apply(cfg.data_dir)`', after the lesson's apply cell"
    cells, cfg = lesson('05_clean'), workshop
    victim = sorted((cfg.data_dir/'3').glob('*.jpg'))[0]
    decisions = dict(delete=[victim.relative_to(cfg.data_dir).as_posix()], relabel={})
    ns = dict(cfg=cfg, decisions=decisions)
    exec(cells[one(cells, 'apply_decisions(cfg.data_dir, decisions)', 'code')].source, ns)  # the lesson's apply
    assert not victim.exists()
    undo = code_to_run(cells[one(cells, 'Changed your mind?', 'markdown')].source, 'In a new cell, run')
    exec(undo, ns)
    assert victim.is_file() and not list((cfg.data_dir/'.quarantine').rglob('*.jpg'))

def test_07_zip_line(workshop, tmp_path, monkeypatch):
    "07: 'download it as a zip: in a new cell, run `import shutil; shutil.make_archive(...)`' after the page is made"
    cells, cfg = lesson('07_app'), workshop
    monkeypatch.chdir(tmp_path)
    ns = dict(cfg=cfg)
    exec(cells[one(cells, 'publish(cfg.model_path', 'code')].source, ns)  # the lesson's cell that makes the page
    zip_line = code_to_run(cells[one(cells, 'make_archive', 'markdown')].source, 'in a new cell, run')
    exec(zip_line, ns)
    with zipfile.ZipFile(tmp_path/'page.zip') as z: names = z.namelist()
    assert 'index.html' in names and sorted(names) == sorted(p.relative_to(cfg.model_path.parent/'page').as_posix()
                                                            for p in (cfg.model_path.parent/'page').rglob('*') if p.is_file())

def test_01_your_own_photos_line(tmp_path, monkeypatch):
    "01: 'choose the source `photos` above, then delete the `# ` below and run it': a form with a button per label"
    cells = lesson('01_download')
    i = one(cells, "choose the source `photos` above", 'markdown')
    assert 'delete the\n`# ` below' in cells[i].source or 'delete the `# ` below' in cells[i].source.replace('\n', ' ')
    cell = cells[i + 1]
    assert cell.cell_type == 'code' and cell.source.startswith('# ') and len(cell.source.splitlines()) == 1, cell.source
    monkeypatch.chdir(tmp_path)
    from primer_lib.settings import save_settings
    ns = dict(cfg=save_settings(labels='cat, dog', source='photos'))  # the labels cell above, with the source photos
    import ast
    tree = ast.parse(cell.source[2:])  # delete the `# ` and run it; as in a notebook, the last expression's value is shown
    exec(compile(ast.Module(tree.body[:-1], []), 'lesson 01', 'exec'), ns)
    form = eval(compile(ast.Expression(tree.body[-1].value), 'lesson 01', 'eval'), ns)
    assert [u.description for u in form.uploads.values()] == ['cat', 'dog', 'zip of folders'] and form.add.description == 'Add photos'
