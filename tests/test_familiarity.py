"Issue 23: `primer predict` flags images unlike the model's training images, and the page's JavaScript scores them as Python does."
import json, shutil, subprocess
from pathlib import Path
import pytest, torch
from PIL import Image
from conftest import primer, ROOT

JS = ROOT/'primer_lib'/'web'/'familiarity.js'

def test_the_page_scores_as_python_does(tmp_path):
    "familiarity.js on the facts page_familiarity would give: the same scores and flags as familiarity_scores"
    if not shutil.which('node'): pytest.skip('node is not installed')
    from primer_lib.familiarity import calibrate_familiarity, familiar_json, familiarity_scores, unfamiliar_message
    g = torch.Generator().manual_seed(0)
    x, y = 3 + torch.randn(90, 32, generator=g), torch.arange(3).repeat(30)
    x[torch.arange(90), y] += 8  # each label leans its own way
    facts = calibrate_familiarity(x, y)
    page = dict(familiar_json(facts, ['a', 'b', 'c']), message=unfamiliar_message(['a', 'b', 'c']))
    far = 3 + torch.randn(5, 32, generator=g); far[:, 20] += 8  # leaning a way no label does
    new = torch.cat([x[:5] + 0.1, far])
    (tmp_path/'facts.json').write_text(json.dumps(page)); (tmp_path/'x.json').write_text(json.dumps(new.tolist()))
    script = (f"const {{familiarity}} = require({json.dumps(str(JS))}); const fs = require('fs');"
              f"const facts = JSON.parse(fs.readFileSync({json.dumps(str(tmp_path/'facts.json'))}));"
              f"const xs = JSON.parse(fs.readFileSync({json.dumps(str(tmp_path/'x.json'))}));"
              "console.log(JSON.stringify(xs.map(x => familiarity(x, facts))));"
              "console.log(JSON.stringify(familiarity(xs[0], null)));")
    out = subprocess.run(['node', '-e', script], capture_output=True, text=True, check=True).stdout.splitlines()
    got, expected = json.loads(out[0]), familiarity_scores(new, page)
    assert [round(r['familiarity'], 4) for r in got] == pytest.approx(expected.tolist(), abs=1e-4)
    assert [r['unfamiliar'] for r in got] == (expected < page['threshold']).tolist() == [False] * 5 + [True] * 5
    assert got[-1]['message'] == page['message'] and got[0]['message'] == '' and out[1] == 'null'

def test_predict_flags_a_photo_not_a_digit_and_old_models_say_so_once(trained, sample_data, tmp_path):
    "`primer predict` on the digits model: a digit is familiar, a photo is not; an export without calibration loads, says so once, and has no flag"
    from sklearn.datasets import load_sample_image
    model, _ = trained
    manifest = json.loads(model.with_suffix('.manifest.json').read_text())
    assert manifest['familiarity']['threshold'] is not None and model.with_suffix('.familiar.json').is_file()
    photo = tmp_path/'temple.jpg'; Image.fromarray(load_sample_image('china.jpg')).save(photo)
    digit = sorted((sample_data/'3').glob('*'))[0]
    res = primer('predict', '--model', model, digit, photo)
    assert res.returncode == 0, res.stderr
    lines = [json.loads(l) for l in res.stdout.splitlines()]
    assert [l['unfamiliar'] for l in lines] == [False, True] and all(isinstance(l['familiarity'], float) for l in lines)
    assert lines[1]['label'] in ('3', '7')  # still answers
    old = tmp_path/'old'/'digits.pkl'; old.parent.mkdir()
    for suffix in ('.pkl', '.safetensors'): shutil.copy(model.with_suffix(suffix), old.with_suffix(suffix))
    old.with_suffix('.manifest.json').write_text(json.dumps({k: v for k, v in manifest.items() if k != 'familiarity'}))
    res = primer('predict', '--model', old, digit, photo)
    assert res.returncode == 0, res.stderr
    assert res.stderr.count("carry no 'unfamiliar' flag") == 1, res.stderr
    assert all('unfamiliar' not in json.loads(l) for l in res.stdout.splitlines())
