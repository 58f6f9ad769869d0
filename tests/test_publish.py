"`primer publish`: the folder, served on loopback, classifies in Debian's Chromium with no other network, as `primer predict` does"
import base64, functools, http.server, io, json, os, shutil, subprocess, threading
from dataclasses import replace
from pathlib import Path
import numpy as np
import pytest
from PIL import Image, ImageFilter
from conftest import free_port

from conftest import CHROMIUM

@pytest.fixture(scope='module')
def workshop():
    "A scratch workshop: sample 3s and 7s and a model trained on them in seconds; uploads up to 0.5 MB"
    from primer_lib.workshop import scratch_workshop
    return replace(scratch_workshop(), max_upload_mb=0.5)

@pytest.fixture(scope='module')
def published(workshop, tmp_path_factory):
    from primer_lib.publish import publish
    out = tmp_path_factory.mktemp('published')/'page'
    publish(workshop.model_path, out, cfg=workshop)
    return out

@pytest.fixture(scope='module')
def server(published):
    "A static file server for the published folder on 127.0.0.1, in a thread: its address"
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', free_port()), functools.partial(Quiet, directory=str(published)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}/'
    httpd.shutdown()

@pytest.fixture(scope='module')
def page(browser, server):
    "The published page, every request outside the loopback server aborted (and listed in `page.blocked`)"
    context = browser.new_context(viewport=dict(width=900, height=800))
    blocked = []
    def only_loopback(route):
        if route.request.url.startswith(server): return route.continue_()
        blocked.append(route.request.url); route.abort()
    context.route('**/*', only_loopback)
    page = context.new_page()
    page.blocked = blocked
    page.goto(server, timeout=60_000)
    page.wait_for_function("document.getElementById('status').textContent.startsWith('Choose or drop')", timeout=60_000)
    yield page
    context.close()

def choose(page, path):
    "Choose the file at `path` with the page's button; the answer (or the error) once the page shows it"
    page.set_input_files('#file', str(path))
    page.wait_for_function("name => document.getElementById('filename').textContent === name && "
                           "(document.getElementById('answer').dataset.result || document.getElementById('answer').dataset.error)",
                           arg=Path(path).name, timeout=60_000)
    result = page.locator('#answer').get_attribute('data-result')
    return json.loads(result) if result else dict(error=page.locator('#status').inner_text())

def test_the_page_loads_only_from_its_folder(page, published):
    assert page.blocked == [], page.blocked
    assert 'This model tells apart: 3, 7.' in page.locator('#labels').inner_text()
    assert page.title() == 'Which is it: 3 or 7?'

def odd_images(workshop, folder):
    "Images that make the page's preprocessing work: wide and tall, larger and smaller, transparent, turned by EXIF"
    src = Image.open(sorted((workshop.data_dir/workshop.labels[0]).glob('*.jpg'))[0]).convert('RGB')
    wide = Image.new('RGB', (300, 190), (200, 180, 40)); wide.paste(src.resize((170, 170)), (65, 10))
    tall = src.resize((45, 80), Image.BICUBIC)
    rgba = src.convert('RGBA'); rgba.putalpha(Image.linear_gradient('L').resize(src.size))
    turned = wide.rotate(90, expand=True); exif = Image.Exif(); exif[0x0112] = 6  # stored turned, shown upright
    files = dict(wide_png=(wide, 'wide.png', {}), wide_jpg=(wide, 'wide.jpg', dict(quality=90)), tall=(tall, 'tall.png', {}),
                 rgba=(rgba, 'transparent.png', {}), turned=(turned, 'turned.jpg', dict(exif=exif, quality=95)))
    for img, name, kw in files.values(): img.save(folder/name, **kw)
    return [folder/name for _, name, _ in files.values()]

def test_good_images_get_the_label_and_probabilities_primer_predict_gives(page, workshop, tmp_path, capsys):
    from primer_lib.cli import main
    images = sorted(workshop.data_dir.rglob('*.jpg'))[::8] + odd_images(workshop, tmp_path)
    assert main(['predict', '--model', str(workshop.model_path), *map(str, images)]) == 0
    expected = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    for want in expected:
        got = choose(page, want['image'])
        assert got['label'] == want['label'], (want, got)
        for label, p in want['probabilities'].items(): assert abs(got['probabilities'][label] - p) < 1e-3, (want, got)
        shown = page.locator('#answer h2').inner_text()
        assert shown.startswith(want['label']) or shown.startswith('Not sure'), shown
    assert page.blocked == [], page.blocked

def test_bad_files_get_a_message(page, tmp_path):
    (tmp_path/'notes.jpg').write_text('this is text, not a picture')
    assert 'notes.jpg: Not an image we can read: use a JPEG, PNG, GIF or WebP file.' in choose(page, tmp_path/'notes.jpg')['error']
    (tmp_path/'huge.png').write_bytes(b'\0' * 600_000)
    assert choose(page, tmp_path/'huge.png')['error'] == 'huge.png is 0.6 MB; the limit is 0.5 MB. Use a smaller image.'
    assert page.locator('#status.error').count() == 1 and page.locator('#figure').is_hidden()

def fastai_tensor(img, resize, div, mean, std):
    "What the Learner feeds the model for `img`, from a manifest's description (its size is fastai's: width, height)"
    from fastai.vision.all import Resize, ToTensor, PILImage
    t = Resize((resize['size'][1], resize['size'][0]), resize['method'], resize['pad_mode'], resize['resamples'])
    x = ToTensor()(t(PILImage.create(img), split_idx=1)).float() / div
    return ((x - np.array(mean, dtype=np.float32)[:, None, None]) / np.array(std, dtype=np.float32)[:, None, None]).numpy()

def test_the_pages_preprocessing_is_fastais_for_every_resize_it_accepts(page, published, workshop):
    prep = json.loads((published/'model.json').read_text())['preprocessing']
    rng = np.random.default_rng(0)
    for shape in (61, 97), (50, 20), (24, 40):
        img = Image.fromarray(rng.integers(0, 256, (*shape, 3), dtype=np.uint8)).filter(ImageFilter.SMOOTH)
        buf = io.BytesIO(); img.save(buf, format='PNG')
        variants = [dict(prep, resize=dict(size=size, method=method, pad_mode=pad, resamples=[resample, 0]))
                    for size in ([32, 32], [40, 24]) for method in ('crop', 'pad', 'squish')
                    for pad in (('zeros', 'border', 'reflection') if method == 'pad' else ('reflection',)) for resample in range(6)]
        got = page.evaluate("""async ([b64, variants]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const page = await (await fetch('model.json')).json();
            const img = await window.primer.decode(new File([bytes], 'x.png'), page);
            return variants.map(v => Array.from(window.primer.preprocess(img, v).data));
        }""", [base64.b64encode(buf.getvalue()).decode(), variants])
        for v, js in zip(variants, got):
            want = fastai_tensor(img, v['resize'], v['div'], v['mean'], v['std'])
            assert len(js) == want.size, (shape, v['resize'])
            worst = np.abs(np.array(js, dtype=np.float32) - want.ravel()).max()
            # Crop and pad keep the aspect, so both axes scale alike: the same pixels. Squish scales the axes apart, and
            # Pillow 13 then sometimes resizes vertically first: one 8-bit level apart at most, except bicubic and lanczos.
            limit = 1e-4 if v['resize']['method'] != 'squish' else 1.01 / 255 / min(v['std']) if v['resize']['resamples'][0] in (0, 2, 4, 5) else np.inf
            assert worst < limit, (shape, v['resize'], worst)

def test_the_onnx_model_equals_the_learner_on_validation_images(workshop, published):
    import onnxruntime, torch
    from primer_lib.data import workshop_dataloaders
    from primer_lib.predict import load_model
    learn = load_model(workshop.model_path, trust_pickle=True)  # our own scratch model: the Learner itself
    valid = workshop_dataloaders(workshop.data_dir, workshop.labels, workshop.image_size, workshop.valid_pct, workshop.seed, workshop.batch_size).valid_ds.items
    dl = learn.dls.test_dl(valid, bs=len(valid))
    with learn.no_bar(): probs = learn.get_preds(dl=dl)[0].numpy()
    session = onnxruntime.InferenceSession(str(published/'model.onnx'), providers=['CPUExecutionProvider'])
    x = dl.one_batch()[0].cpu().as_subclass(torch.Tensor).numpy()
    onnx = np.concatenate([session.run(None, {'image': x[i:i + 1]})[0] for i in range(len(x))])
    assert len(valid) >= 4 and np.abs(onnx - probs).max() < 1e-4, np.abs(onnx - probs).max()

def test_publish_refuses_a_folder_of_other_files_unless_forced_and_keeps_them(workshop, tmp_path, capsys):
    from primer_lib.cli import main
    out = tmp_path/'site'; out.mkdir(); (out/'notes.txt').write_text('mine')
    assert main(['publish', '--model', str(workshop.model_path), '--out', str(out)]) == 2
    assert 'holds files that primer publish did not make' in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ['notes.txt']
    assert main(['publish', '--model', str(workshop.model_path), '--out', str(out), '--force']) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])['labels'] == 2
    assert (out/'notes.txt').read_text() == 'mine' and (out/'index.html').is_file()
    assert main(['publish', '--model', str(workshop.model_path), '--out', str(out), '--title', 'Digits']) == 0  # an earlier publish
    assert '<h1>Digits</h1>' in (out/'index.html').read_text() and (out/'notes.txt').read_text() == 'mine'
    assert main(['publish', '--model', str(workshop.model_path), '--out', str(out), '--title', '{{runtime}}<script>x()</script>']) == 0
    page = (out/'index.html').read_text()  # the title is text, never a slot or markup
    assert '<h1>{{runtime}}&lt;script&gt;x()&lt;/script&gt;</h1>' in page and page.count('<script') == 2, page

def test_the_pages_files_are_web_files_and_its_script_is_valid_javascript(published):
    page = (published/'index.html').read_text()
    assert '<script src="page.js"></script>' in page and '<link rel="stylesheet" href="page.css">' in page and '{{' not in page
    node = shutil.which('node')
    if not node: pytest.skip('No node: install Node.js for the JavaScript syntax check of page.js.')
    res = subprocess.run([node, '--check', str(published/'page.js')], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    broken = published.parent/'broken.js'; broken.write_text((published/'page.js').read_text().replace('function say(', 'function say(('))
    assert subprocess.run([node, '--check', str(broken)], capture_output=True).returncode != 0  # the check sees a slip

def test_publish_names_the_missing_weights_only_file(workshop, tmp_path, capsys):
    from primer_lib.cli import main
    model = tmp_path/'classifier.pkl'
    for suffix in '.pkl', '.manifest.json': shutil.copy(workshop.model_path.with_suffix(suffix), model.with_suffix(suffix))
    assert main(['publish', '--model', str(model), '--out', str(tmp_path/'page')]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and 'classifier.safetensors is not beside' in err, err
    assert not (tmp_path/'page').exists()
