"Cleaning never loses an image: apply and undo compared by the content hash of every file."
import hashlib, json, os, shutil
from pathlib import Path
import pytest
from conftest import primer
import primer_lib.clean as clean

def tree(root):
    "Every file under `root` (hidden bookkeeping folders included): its path -> the sha256 of its content"
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(Path(root).rglob('*')) if p.is_file()}

def visible(root): return {k: v for k, v in tree(root).items() if not k.startswith('.')}

@pytest.fixture
def data(sample_data, tmp_path):
    dest = tmp_path/'data'
    shutil.copytree(sample_data, dest, ignore=shutil.ignore_patterns('.*', '*.csv'))
    return dest

def decide(tmp_path, decisions):
    path = tmp_path/'decisions.json'; path.write_text(json.dumps(decisions)); return path

def names(data, label): return sorted(p.name for p in (data/label).iterdir())

def test_apply_then_undo_is_the_identity(data, tmp_path):
    before = tree(data)
    threes, sevens = names(data, '3'), names(data, '7')
    decisions = decide(tmp_path, {'delete': [f'3/{threes[0]}', f'7/{sevens[0]}'], 'relabel': {f'3/{threes[1]}': '7'}})
    res = primer('clean', '--data', data, '--apply', decisions)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 4 and lines[0].startswith(f'quarantined 3/{threes[0]} -> .quarantine/') and '--undo' in lines[-1]
    after = visible(data)
    assert f'3/{threes[0]}' not in after and after[f'7/{threes[1]}'] == before[f'3/{threes[1]}']
    quarantined = {k: v for k, v in tree(data).items() if k.startswith('.quarantine/')}
    assert sorted(quarantined.values()) == sorted([before[f'3/{threes[0]}'], before[f'7/{sevens[0]}']])
    res = primer('clean', '--data', data, '--undo')
    assert res.returncode == 0 and 'Undone: 3 file(s)' in res.stdout.strip().splitlines()[-1]
    assert visible(data) == before
    assert not any(k.startswith('.quarantine/') for k in tree(data))

def test_a_repeat_changes_and_records_nothing(data, tmp_path):
    threes = names(data, '3')
    decisions = decide(tmp_path, {'delete': [f'3/{threes[0]}'], 'relabel': {f'3/{threes[1]}': '7'}})
    assert primer('clean', '--data', data, '--apply', decisions).returncode == 0
    once = tree(data)
    res = primer('clean', '--data', data, '--apply', decisions)
    assert res.returncode == 0 and 'nothing to change' in res.stdout
    assert tree(data) == once

def test_collisions_never_overwrite(data, tmp_path):
    three = names(data, '3')[0]
    (data/'7'/three).write_bytes(b'a different file with the same name')
    before = tree(data)
    clean.apply_decisions(data, {'relabel': {f'3/{three}': '7'}}, log=lambda s: None)
    stem, suffix = three.rsplit('.', 1)
    assert (data/'7'/three).read_bytes() == b'a different file with the same name'
    assert hashlib.sha256((data/'7'/f'{stem}-1.{suffix}').read_bytes()).hexdigest() == before[f'3/{three}']
    clean.undo_last_apply(data, log=lambda s: None)
    assert visible(data) == {k: v for k, v in before.items() if not k.startswith('.')}

def test_an_interrupted_apply_can_be_undone(data, monkeypatch):
    before = visible(data)
    threes = names(data, '3')
    real_move, calls = clean._move, []
    def dies_on_third(src, dst):
        calls.append(src)
        if len(calls) == 3: raise KeyboardInterrupt('killed half way')
        real_move(src, dst)
    monkeypatch.setattr(clean, '_move', dies_on_third)
    with pytest.raises(KeyboardInterrupt):
        clean.apply_decisions(data, {'delete': [f'3/{n}' for n in threes[:5]]}, log=lambda s: None)
    assert visible(data) != before
    monkeypatch.setattr(clean, '_move', real_move)
    clean.undo_last_apply(data, log=lambda s: None)
    assert visible(data) == before

def test_bad_decisions_are_refused_and_change_nothing(data, tmp_path):
    threes = names(data, '3')
    outside = tmp_path/'outside.jpg'; outside.write_bytes((data/'3'/threes[0]).read_bytes())
    os.symlink(outside, data/'3'/'link.jpg')
    before = tree(data)
    cases = [({'delete': ['../outside.jpg']}, 'not a path inside'),
             ({'delete': [str(data/'3'/threes[0])]}, 'not a path inside'),
             ({'delete': ['3/link.jpg']}, 'links outside'),
             ({'delete': ['3/missing.jpg']}, 'not a file'),
             ({'relabel': {f'3/{threes[0]}': 'horse'}}, '--new-labels'),
             ({'relabel': {f'3/{threes[0]}': '../x'}}, 'folder names'),
             ({'delete': [f'3/{n}' for n in threes if n != 'link.jpg'][:25]}, '--force'),
             ({'delete': [f'3/{threes[0]}'], 'relabel': {f'3/{threes[0]}': '7'}}, 'both deleted and relabelled'),
             ({'remove': ['3/a.jpg']}, 'must look like')]
    for decisions, message in cases:
        res = primer('clean', '--data', data, '--apply', decide(tmp_path, decisions))
        assert res.returncode == 2 and message in res.stderr and 'Traceback' not in res.stderr, (decisions, res.stderr)
        assert tree(data) == before
    (tmp_path/'broken.json').write_text('{"delete": [')
    res = primer('clean', '--data', data, '--apply', tmp_path/'broken.json')
    assert res.returncode == 2 and 'not valid JSON' in res.stderr
    res = primer('clean', '--data', data, '--undo')
    assert res.returncode == 2 and 'Nothing to undo' in res.stderr
    assert tree(data) == before

def test_forced_mass_removal_and_new_labels_work_and_undo(data, tmp_path):
    before = visible(data)
    threes = names(data, '3')
    res = primer('clean', '--data', data, '--apply', decide(tmp_path, {'delete': [f'3/{n}' for n in threes]}), '--force')
    assert res.returncode == 0 and not any((data/'3').iterdir())
    res = primer('clean', '--data', data, '--apply', decide(tmp_path, {'relabel': {f'7/{names(data, "7")[0]}': 'seven'}}), '--new-labels')
    assert res.returncode == 0 and len(names(data, 'seven')) == 1
    assert primer('clean', '--data', data, '--undo').returncode == 0 and not (data/'seven').exists()
    assert primer('clean', '--data', data, '--undo').returncode == 0
    assert visible(data) == before

def test_a_damaged_journal_stops_everything(data, tmp_path):
    three = names(data, '3')[0]
    assert primer('clean', '--data', data, '--apply', decide(tmp_path, {'delete': [f'3/{three}']})).returncode == 0
    journal = next((data/'.cleaning').glob('*.json'))
    journal.write_text(journal.read_text()[:20])
    before = tree(data)
    for args in (['--undo'], ['--apply', decide(tmp_path, {'delete': [f'3/{names(data, "3")[0]}']})]):
        res = primer('clean', '--data', data, *args)
        assert res.returncode == 2 and 'is damaged' in res.stderr and tree(data) == before

def test_undo_restores_what_it_can_and_keeps_the_rest_pending(data, tmp_path):
    "The issue's case: files written back by a download are not counted as restored; what can't go back stays pending"
    before = visible(data)
    a, b, c, d = names(data, '3')[:4]
    assert primer('clean', '--data', data, '--apply', decide(tmp_path, {'delete': [f'3/{a}', f'3/{b}', f'3/{c}'], 'relabel': {f'3/{d}': '7'}})).returncode == 0
    moved = {m['src']: data/m['dst'] for m in json.loads(next((data/'.cleaning').glob('*.json')).read_text())['moves']}
    shutil.copy(moved[f'3/{a}'], data/'3'/a)           # a download brought the same image back
    moved[f'3/{b}'].rename(tmp_path/'aside.jpg')        # the quarantined copy is gone
    (data/'3'/d).write_bytes(b'another file')           # another file took the relabelled image's place
    res = primer('clean', '--data', data, '--undo')
    assert res.returncode == 1, res.stderr
    lines = res.stdout.strip().splitlines()
    assert lines[-1].startswith('Undone: 1 file(s) are back') and '3 could not be moved back' in lines[-1], lines
    pending = {l.split(':')[0]: l for l in lines if l.startswith('pending ')}
    assert 'same image' in pending[f'pending 3/{a}'] and 'is gone' in pending[f'pending 3/{b}'] and 'another file' in pending[f'pending 3/{d}']
    journal = json.loads(next((data/'.cleaning').glob('*.json')).read_text())
    assert [m['src'] for m in journal['pending']] == [f'3/{a}', f'3/{b}', f'3/{d}'] and not journal['undone']
    moved[f'3/{a}'].unlink(); (data/'3'/d).unlink(); (tmp_path/'aside.jpg').rename(moved[f'3/{b}'])
    res = primer('clean', '--data', data, '--undo')  # retries the pending files only
    assert res.returncode == 0 and res.stdout.strip().splitlines()[-1].startswith('Undone: 2 file(s) are back'), res.stdout
    assert visible(data) == before
    assert 'Nothing to undo' in primer('clean', '--data', data, '--undo').stderr

def test_destinations_that_link_outside_receive_nothing(data, tmp_path):
    outside = tmp_path/'outside'; outside.mkdir()
    three = names(data, '3')[0]
    os.symlink(outside, data/'.quarantine'); os.symlink(outside, data/'8')
    before = tree(data)
    for decisions in ({'delete': [f'3/{three}']}, {'relabel': {f'3/{three}': '8'}}):
        res = primer('clean', '--data', data, '--apply', decide(tmp_path, decisions))
        assert res.returncode == 2 and 'Traceback' not in res.stderr, res.stderr
        line = next(l for l in res.stderr.splitlines() if l.startswith('primer clean:'))
        assert 'links outside the dataset' in line and 'nothing was moved' in line, line
        assert tree(data) == before and not any(outside.iterdir()) and not (data/'.cleaning').exists()

def test_relabelling_to_the_current_label_changes_nothing(data, tmp_path):
    before = tree(data)
    res = primer('clean', '--data', data, '--apply', decide(tmp_path, {'relabel': {f'3/{names(data, "3")[0]}': '3'}}))
    assert res.returncode == 0 and 'nothing to change' in res.stdout, res.stdout
    assert tree(data) == before and not (data/'.cleaning').exists()

def test_damaged_journals_and_folders_get_one_line(data, tmp_path):
    assert primer('clean', '--data', data, '--apply', decide(tmp_path, {'delete': [f'3/{names(data, "3")[0]}']})).returncode == 0
    before = tree(data)
    res = primer('clean', '--data', data, '--apply', tmp_path)
    assert res.returncode == 2 and 'is a folder' in res.stderr and 'Traceback' not in res.stderr, res.stderr
    for text in ('{}', '[]', '{"moves": [{"src": "3/a.jpg"}]}'):
        journal = data/'.cleaning'/'99999999-damaged.json'; journal.write_text(text)
        res = primer('clean', '--data', data, '--undo')
        assert res.returncode == 2 and f'journal {journal} is damaged' in res.stderr and 'Traceback' not in res.stderr, res.stderr
        journal.unlink(); assert tree(data) == before
