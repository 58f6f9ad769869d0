"The `primer` command end to end: sample download, train, predict, and the messages bad input gets."
import hashlib, json, subprocess, sys
from pathlib import Path
from PIL import Image
from conftest import primer, last_json, ROOT, PRIMER

def test_download_writes_jpeg_label_folders_and_is_idempotent(sample_data):
    jpgs = sorted(sample_data.rglob('*.jpg'))
    assert sorted(f.name for f in sample_data.iterdir() if not f.name.startswith('.')) == ['3', '7', 'attribution.csv']
    assert sorted({f.parent.name for f in jpgs}) == ['3', '7']
    assert len(jpgs) == 80 and all(f.suffix == '.jpg' for f in jpgs)
    for f in jpgs[:5]:
        assert f.stem == hashlib.sha256(f.read_bytes()).hexdigest()[:20]
        with Image.open(f) as img: assert img.mode == 'RGB' and img.size == (128, 128)
    again = primer('download', '--labels', '3,7', '--per-label', 40, '--dest', sample_data)
    assert last_json(again.stdout)['images'] == {'3': 40, '7': 40}
    assert len(list(sample_data.rglob('*.jpg'))) == 80
    rows = (sample_data/'attribution.csv').read_text().splitlines()
    assert len(rows) == 81 and rows[0].startswith('file,label,url,source,license') and ',sample,CC BY 4.0,' in rows[1]

def test_flags_override_environment_which_overrides_settings(tmp_path):
    res = primer('download', '--labels', '1,2', '--dest', tmp_path, env={'PRIMER_IMAGES_PER_LABEL': '3'})
    assert last_json(res.stdout)['images'] == {'1': 3, '2': 3}
    res = primer('download', '--labels', '1,2', '--per-label', 5, '--dest', tmp_path, env={'PRIMER_IMAGES_PER_LABEL': '3'})
    assert last_json(res.stdout)['images'] == {'1': 5, '2': 5}

def test_train_reports_json_summary_and_writes_manifest(trained, sample_data):
    model, summary = trained
    assert list(summary) == ['accuracy', 'error_rate', 'seconds', 'recipe', 'model', 'n_train', 'n_valid', 'image_size', 'image_size_reason']
    assert summary['image_size'] == 48 and summary['image_size_reason'] == 'the setting image_size'  # --size 48
    assert summary['recipe'] == 'fast'  # auto on a CPU
    assert Path(summary['model']) == model and model.is_file()
    assert summary['n_train'] + summary['n_valid'] == 80 and summary['n_valid'] == 16
    assert abs(summary['accuracy'] + summary['error_rate'] - 1) < 1e-3
    assert summary['accuracy'] >= 0.75, summary  # chance is 0.5
    manifest = json.loads(model.with_suffix('.manifest.json').read_text())
    assert manifest['vocab'] == ['3', '7'] and manifest['arch'] == 'efficientnet_lite0' and manifest['image_size'] == 48
    assert manifest['sha256'] == hashlib.sha256(model.read_bytes()).hexdigest()
    assert set(manifest['versions']) >= {'torch', 'fastai', 'timm'}

def test_predict_prints_a_line_per_image_and_fails_on_a_bad_one(trained, sample_data, tmp_path):
    model, _ = trained
    good = [sorted((sample_data/label).glob('*.jpg'))[0] for label in ('3', '7')]
    bad = tmp_path/'notes.jpg'
    bad.write_text('not a picture')
    res = primer('predict', '--model', model, good[0], bad, good[1])
    lines = [json.loads(l) for l in res.stdout.strip().splitlines()]
    assert res.returncode == 1
    assert [l['image'] for l in lines] == [str(good[0]), str(bad), str(good[1])]
    assert 'Not an image' in lines[1]['error'] and 'label' not in lines[1]
    for line in (lines[0], lines[2]):
        assert set(line) == {'image', 'label', 'probability', 'probabilities', 'familiarity', 'unfamiliar'}
        assert set(line['probabilities']) == {'3', '7'} and abs(sum(line['probabilities'].values()) - 1) < 1e-3
        assert line['probability'] == line['probabilities'][line['label']] == max(line['probabilities'].values())
    ok = primer('predict', '--model', model, *good)
    assert ok.returncode == 0 and len(ok.stdout.strip().splitlines()) == 2

def test_train_on_train_and_val_folders_uses_that_split(sample_data, tmp_path):
    for split, files in (('train', slice(0, 30)), ('val', slice(30, 40))):
        for label in ('3', '7'):
            (tmp_path/split/label).mkdir(parents=True)
            for f in sorted((sample_data/label).glob('*.jpg'))[files]: (tmp_path/split/label/f.name).write_bytes(f.read_bytes())
    res = primer('train', '--data', tmp_path, '--epochs', 1, '--size', 32, '--out', tmp_path/'m.pkl')
    assert res.returncode == 0, res.stderr
    summary = last_json(res.stdout)
    assert (summary['n_train'], summary['n_valid']) == (60, 20)

def _fails_with(res, *words):
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert 'Traceback' not in res.stderr, res.stderr
    for w in words: assert w in res.stderr, res.stderr

def test_bad_settings_get_clear_messages(tmp_path):
    _fails_with(primer('download', '--dest', tmp_path, env={'PRIMER_SETTINGS': tmp_path/'missing.ini'}), 'not a file', 'PRIMER_SETTINGS')
    alone = primer('download', '--per-label', 3, cwd=tmp_path, env={'PRIMER_SETTINGS': ''})  # no settings.ini: the defaults
    assert alone.returncode == 0, alone.stderr
    assert sorted(p.name for p in (tmp_path/'data').iterdir() if p.is_dir() and not p.name.startswith('.')) == ['3', '7']
    text = (ROOT/'settings.ini').read_text()
    (tmp_path/'unknown.ini').write_text(text + 'colour = red\n')
    _fails_with(primer('download', env={'PRIMER_SETTINGS': tmp_path/'unknown.ini'}), 'Unknown setting(s) colour')
    (tmp_path/'bad.ini').write_text(text.replace('valid_pct = 0.2', 'valid_pct = lots'))
    _fails_with(primer('download', env={'PRIMER_SETTINGS': tmp_path/'bad.ini'}), "'valid_pct'", 'fraction')
    _fails_with(primer('train', '--epochs', 'many'), "'epochs'")

def test_bad_labels_and_folders_get_clear_messages(sample_data, tmp_path):
    _fails_with(primer('download', '--labels', '3', '--dest', tmp_path), 'at least two labels')
    _fails_with(primer('download', '--labels', '', '--dest', tmp_path), 'at least two labels')
    _fails_with(primer('download', '--labels', '3,../x', '--dest', tmp_path), 'folder names')
    _fails_with(primer('download', '--labels', 'cat,dog', '--dest', tmp_path), 'digits 0 to 9')
    _fails_with(primer('train', '--data', tmp_path/'missing'), 'does not exist', 'primer download')
    (tmp_path/'one'/'3').mkdir(parents=True)
    (tmp_path/'one'/'3'/'a.jpg').write_bytes((next((sample_data/'3').glob('*.jpg'))).read_bytes())
    _fails_with(primer('train', '--data', tmp_path/'one'), 'at least two label folders')
    (tmp_path/'one'/'7').mkdir()
    _fails_with(primer('train', '--data', tmp_path/'one', '--labels', '3,7'), 'No images for label(s) 7')
    _fails_with(primer('train', '--data', tmp_path/'one'), 'No images for label(s) 7')

def test_unknown_arch_and_bad_models_get_clear_messages(sample_data, tmp_path):
    _fails_with(primer('train', '--data', sample_data, '--arch', 'alexnet', '--out', tmp_path/'m.pkl'), 'Unknown arch', 'efficientnet_lite0')
    _fails_with(primer('predict', '--model', tmp_path/'none.pkl', 'x.jpg'), 'No model', 'primer train')
    (tmp_path/'fake.pkl').write_text('hello')
    _one_line(primer('predict', '--model', tmp_path/'fake.pkl', 'x.jpg'), 'fake')  # the loader's own message: see 15_models

def test_predict_a_folder_gives_a_line_per_image_in_it(trained, sample_data, tmp_path):
    model, _ = trained
    for rel in ('b/one.jpg', 'b/deeper/two.jpg', 'a.jpg', '.quarantine/hidden.jpg'):
        (tmp_path/rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path/rel).write_bytes(next((sample_data/'3').glob('*.jpg')).read_bytes())
    (tmp_path/'b'/'notes.txt').write_text('not an image')
    res = primer('predict', '--model', model, tmp_path)
    assert res.returncode == 0, res.stderr
    lines = [json.loads(l) for l in res.stdout.strip().splitlines()]
    assert [l['image'] for l in lines] == [str(tmp_path/r) for r in ('a.jpg', 'b/deeper/two.jpg', 'b/one.jpg')]
    assert all(set(l) == {'image', 'label', 'probability', 'probabilities', 'familiarity', 'unfamiliar'} for l in lines)
    (tmp_path/'empty').mkdir()
    _fails_with(primer('predict', '--model', model, tmp_path/'empty'), 'No images in', 'empty')
    res = primer('predict', '--model', model, tmp_path/'missing.jpg')  # a missing image: its error line, as before
    assert res.returncode == 1 and 'error' in json.loads(res.stdout.strip().splitlines()[-1]) and 'Traceback' not in res.stderr

def _one_line(res, *words):
    "The command failed with one line on stderr (warnings aside) that has each of `words`"
    _fails_with(res, *words)
    assert len([l for l in res.stderr.splitlines() if l.startswith('primer ')]) == 1 and all(w in res.stderr.splitlines()[-1] for w in words), res.stderr

def test_a_file_where_a_folder_goes_and_the_other_way_round(tmp_path):
    (tmp_path/'file.txt').write_text('x')
    _one_line(primer('download', '--dest', tmp_path/'file.txt', '--per-label', 2), 'is a file', '--dest')
    _one_line(primer('train', '--data', tmp_path/'file.txt'), 'is a file', '--data')
    _one_line(primer('train', '--data', tmp_path, '--out', tmp_path), 'is a folder', '--out')
    _one_line(primer('workshop', '--out', tmp_path/'file.txt'), 'is a file', '--out')
    (tmp_path/'nohead.ini').write_text('labels = 3,7\n')
    _one_line(primer('download', env={'PRIMER_SETTINGS': tmp_path/'nohead.ini'}), 'not a valid settings file')

def test_bad_numbers_for_the_app_are_refused_before_it_starts(tmp_path):
    for flag, value in (('--port', '70000'), ('--port', 'web'), ('--idle-minutes', '-5'), ('--preheat', 'two')):
        res = primer('app', '--model', tmp_path/'none.pkl', flag, value, timeout=120)
        assert res.returncode == 2 and f'argument {flag}' in res.stderr and 'Traceback' not in res.stderr, res.stderr

def test_ctrl_c_ends_with_one_line_and_exit_130(tmp_path):
    "A real SIGINT, raised while a command runs, as Ctrl-C does"
    code = ("import signal, sys; import primer_lib.cli as cli; "
            "cli.COMMANDS['download'] = lambda args: signal.raise_signal(signal.SIGINT); sys.exit(cli.main(['download']))")
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert res.returncode == 130 and 'Traceback' not in res.stderr, res.stderr
    assert res.stderr.strip().splitlines()[-1].startswith('primer download: stopped (Ctrl-C).'), res.stderr

def test_suspects_prints_a_json_line_per_suspect(sample_data, tmp_path):
    import shutil
    data = tmp_path/'data'
    shutil.copytree(sample_data, data, ignore=shutil.ignore_patterns('.*'))
    flipped = sorted((data/'3').glob('*.jpg'))[:2]
    for f in flipped: f.rename(data/'7'/f.name)  # two 3s filed under 7
    res = primer('suspects', '--data', data, '--top', 4)
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    labels = [r for r in rows if r['reason'] == 'label']
    assert 0 < len(labels) <= 4 and all(r['file'].split('/')[0] == r['label'] and 'suggested' in r for r in labels)
    assert {f'7/{f.name}' for f in flipped} & {r['file'] for r in labels}, rows
    _fails_with(primer('suspects', '--data', tmp_path/'missing'), 'does not exist')

def test_a_reader_that_stops_early_ends_predict_quietly(trained, sample_data):
    "`primer predict DIR | head -1`: the closed pipe ends the command without an error message, as Unix tools do"
    # 800 lines, more than a pipe holds, so the command is still writing when the reader goes
    model, _ = trained
    proc = subprocess.Popen([PRIMER, 'predict', '--model', model, *[sample_data] * 10], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline(); proc.stdout.close()
    err = proc.stderr.read(); proc.wait(timeout=300)
    assert json.loads(first)['label'] in ('3', '7')
    assert proc.returncode == 0 and 'Broken pipe' not in err and 'Traceback' not in err, err

def test_photos_adds_a_zip_of_label_folders(tmp_path):
    "primer photos: a zip's label folders are checked and stored as downloads are; a file that is no image is refused in one line"
    import io, zipfile
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(tmp_path/'photos.zip', 'w') as z:
        for label in ('cat', 'dog'):
            for i in range(3):
                b = io.BytesIO(); Image.fromarray(rng.integers(0, 255, (375, 500, 3), dtype=np.uint8)).save(b, 'JPEG')
                z.writestr(f'{label}/{i}.jpg', b.getvalue())
        z.writestr('cat/notes.jpg', b'not a photo')
    res = primer('photos', tmp_path/'photos.zip', '--dest', tmp_path/'data', '--labels', 'cat,dog', cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = last_json(res.stdout)
    assert out['kept'] == {'cat': 3, 'dog': 3} and len(out['refused']) == 1 and 'notes.jpg' in out['refused'][0], out
    assert sorted(p.parent.name for p in (tmp_path/'data').glob('*/*.jpg')) == ['cat'] * 3 + ['dog'] * 3
    res = primer('photos', tmp_path/'photos.zip', '--dest', tmp_path/'data', cwd=tmp_path)  # the settings' labels, 3 and 7
    assert res.returncode == 1 and "not one of your labels" in res.stdout and 'Traceback' not in res.stderr

def test_app_help_says_how_other_machines_are_let_in():
    res = primer('app', '--help')
    assert res.returncode == 0 and '--token' in res.stdout and 'visitors need the token' in res.stdout, res.stdout
    from primer_lib.cli import is_loopback
    assert [is_loopback(ip) for ip in ('127.0.0.1', '::1', 'localhost', '0.0.0.0', '192.168.1.5')] == [True, True, True, False, False]
