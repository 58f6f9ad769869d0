"`primer publish`: the folder, served on loopback, classifies in Debian's Chromium with no other network, as `primer predict` does"
import base64, contextlib, functools, http.server, io, json, os, shutil, subprocess, threading
from dataclasses import replace
from pathlib import Path
import numpy as np
import pytest
from PIL import Image, ImageFilter
from importlib.resources import files
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
    publish(workshop.model_path, out, cfg=workshop, precision='float32')  # float32: the page's probabilities are predict's
    return out

@contextlib.contextmanager
def static_server(folder):
    "A static file server for `folder` on 127.0.0.1, in a thread: its address"
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args): pass
    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', free_port()), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try: yield f'http://127.0.0.1:{httpd.server_address[1]}/'
    finally: httpd.shutdown()

@pytest.fixture(scope='module')
def server(published):
    with static_server(published) as url: yield url

@pytest.fixture(scope='module')
def page(browser, server):
    with opened(browser, server) as page: yield page

@contextlib.contextmanager
def opened(browser, server):
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
    try: yield page
    finally: context.close()

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
        assert abs(got['familiarity'] - want['familiarity']) < 1e-3, (want, got)  # how like the training images, as predict says
        assert got['unfamiliar'] == want['unfamiliar'] or abs(got['familiarity'] - threshold(page)) < 1e-3, (want, got)
        assert page.locator('#answer .unfamiliar').count() == int(got['unfamiliar'])
    assert page.blocked == [], page.blocked

def threshold(page): return page.evaluate("fetch('model.json').then(r => r.json()).then(m => m.familiarity.threshold)")

def test_an_image_unlike_the_training_images_is_flagged_on_the_page_as_by_primer_predict(page, workshop, tmp_path, capsys):
    "A photo shown to the digits model: the page says it doesn't look like the images the model learned from, and still answers"
    from photo_like import photo_like, SCENES
    from primer_lib.cli import main
    photo_like(sorted(SCENES)[0], np.random.default_rng(5)).save(tmp_path/'beach.jpg', quality=90)
    assert main(['predict', '--model', str(workshop.model_path), str(tmp_path/'beach.jpg')]) == 0
    want = json.loads(capsys.readouterr().out.splitlines()[-1])
    got = choose(page, tmp_path/'beach.jpg')
    assert want['unfamiliar'] is True and got['unfamiliar'] is True, (want, got)
    warning = page.locator('#answer .unfamiliar').inner_text()
    assert warning.startswith("This doesn't look like the images this model learned from (3, 7)"), warning
    assert page.locator('#answer h2').count() == 1  # the answer is still there, under the warning

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
    assert '<h1>{{runtime}}&lt;script&gt;x()&lt;/script&gt;</h1>' in page and page.count('<script') == (files('primer_lib')/'web'/'index.html').read_text().count('<script'), page  # the template's own only

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

@pytest.fixture(scope='module')
def photos_model(tmp_path_factory):
    "A model of three photo-like scenes (500 x 375 JPEGs), trained by `primer train`'s fast recipe at 224 pixels; (model, data)"
    from photo_like import photo_folders
    from conftest import primer
    data = photo_folders(tmp_path_factory.mktemp('photos'), per_label=40, seed=0)
    model = tmp_path_factory.mktemp('photos-model')/'photos.pkl'
    res = primer('train', '--data', data, '--recipe', 'fast', '--out', model)
    assert res.returncode == 0, res.stderr
    return model, data

def publish_cli(args, capsys):
    "`primer publish` with `args`: (its one-line reason, its JSON summary)"
    from primer_lib.cli import main
    assert main(['publish', *map(str, args)]) == 0
    lines = capsys.readouterr().out.splitlines()
    return next(l for l in lines if l.startswith('Model: ')), json.loads(lines[-1])

def test_a_photo_model_is_published_smaller_and_the_page_agrees_with_primer_predict(photos_model, browser, tmp_path, capsys):
    from photo_like import photo_folders
    from primer_lib.cli import main
    model, data = photos_model
    why, summary = publish_cli(['--model', model, '--out', tmp_path/'page', '--data', data], capsys)
    assert summary['precision'] in ('int8', 'float16') and summary['agreement'] >= 0.99, summary
    assert why.startswith(f"Model: {summary['precision']}: its top-1 agrees with float32 on"), why
    assert summary['transfer_mb']['brotli'] <= summary['transfer_mb']['gzip'] < summary['transfer_mb']['plain'] <= summary['megabytes'] + 0.05  # (megabytes: every file, to 0.1)
    held_out = sorted(photo_folders(tmp_path/'held-out', per_label=6, seed=1).rglob('*.jpg'))  # photos the model never saw
    assert main(['predict', '--model', str(model), *map(str, held_out)]) == 0
    expected = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    with static_server(tmp_path/'page') as url, opened(browser, url) as page:
        got = [choose(page, want['image'])['label'] for want in expected]
    agree = np.mean([g == want['label'] for g, want in zip(got, expected)])
    print(f"{summary['precision']} page agrees with primer predict on {agree:.0%} of {len(expected)} held-out photos")
    assert agree >= 0.95, (agree, got, [w['label'] for w in expected])

@pytest.mark.parametrize('precision', ['int8', 'float16'])
def test_the_smaller_models_run_in_the_pages_webassembly_runtime_as_in_onnxruntime(photos_model, browser, tmp_path, capsys, precision):
    import onnxruntime
    from photo_like import photo_folders
    from primer_lib.predict import load_safe_model, open_image
    model, data = photos_model
    why, summary = publish_cli(['--model', model, '--out', tmp_path/'page', '--precision', precision], capsys)
    assert summary['precision'] == precision and why == f'Model: {precision}: as asked (--precision)'
    session = onnxruntime.InferenceSession(str(tmp_path/'page'/'model.onnx'), providers=['CPUExecutionProvider'])
    safe, labels = load_safe_model(model), json.loads((tmp_path/'page'/'labels.json').read_text())
    photos = sorted(photo_folders(tmp_path/'held-out', per_label=2, seed=2).rglob('*.jpg'))
    with static_server(tmp_path/'page') as url, opened(browser, url) as page:
        for photo in photos:
            want, got = session.run(None, {'image': safe.preprocess(open_image(photo)).numpy()})[0][0], choose(page, photo)
            assert max(abs(got['probabilities'][l] - float(p)) for l, p in zip(labels, want)) < 1e-3, (photo, want, got)

def test_the_page_passes_axe_and_works_by_keyboard(page, workshop):
    from axe_check import axe_violations, serious
    assert serious(found := axe_violations(page)) == [], found
    three = sorted((workshop.data_dir/'3').glob('*.jpg'))[0]
    page.locator('body').focus()
    focused = []
    for _ in range(3): page.keyboard.press('Tab'); focused.append(page.evaluate('document.activeElement.id'))
    assert focused == ['file', 'camera', 'live'], focused  # every control in order, the file pickers too
    choose(page, three)
    assert page.locator('#picture').get_attribute('alt') == three.name
    assert page.locator('#answer').get_attribute('aria-live') == 'polite'  # a screen reader announces the answer
    assert serious(found := axe_violations(page)) == [], found

@pytest.fixture(scope='module')
def camera_browser(browser):
    "Chromium with its fake camera (a moving test pattern); the page gets it only where the test grants the permission"
    fake = browser.browser_type.launch(executable_path=str(CHROMIUM), args=['--no-sandbox', '--use-fake-device-for-media-stream'])
    yield fake
    fake.close()

def test_live_mode_classifies_the_camera_and_stops_when_switched_off_or_hidden(camera_browser, server, workshop):
    with opened(camera_browser, server) as page:
        page.context.grant_permissions(['camera'], origin=server.rstrip('/'))
        page.click('#live')
        page.wait_for_function("Number(document.getElementById('answer').dataset.frames) >= 3", timeout=60_000)
        assert json.loads(page.locator('#answer').get_attribute('data-result'))['label'] in workshop.labels
        assert page.locator('#live').get_attribute('aria-pressed') == 'true' and page.locator('#video').is_visible()
        assert page.locator('#answer').get_attribute('aria-live') == 'off'  # no announcement three times a second
        page.click('#live')
        assert page.evaluate("document.getElementById('video').srcObject") is None and page.locator('#video').is_hidden()
        frames = page.locator('#answer').get_attribute('data-frames'); page.wait_for_timeout(1000)
        assert page.locator('#answer').get_attribute('data-frames') == frames  # nothing classified once off
        page.click('#live')
        page.wait_for_function("Number(document.getElementById('answer').dataset.frames) > 0", timeout=60_000)
        page.evaluate("Object.defineProperty(document, 'hidden', {value: true, configurable: true}); document.dispatchEvent(new Event('visibilitychange'))")
        assert 'stopped while the page was hidden' in page.locator('#status').inner_text()
        assert page.evaluate("document.getElementById('video').srcObject") is None
        page.click('#live')  # the camera granted while the page is hidden is switched off at once
        page.wait_for_function("!document.getElementById('status').textContent.startsWith('Starting')", timeout=30_000)
        assert 'stopped while the page was hidden' in page.locator('#status').inner_text()
        assert page.evaluate("document.getElementById('video').srcObject") is None
        assert page.blocked == [], page.blocked

def test_live_mode_without_the_cameras_permission_says_so_and_files_still_work(camera_browser, server, workshop):
    with opened(camera_browser, server) as page:
        page.click('#live')
        page.wait_for_function("document.getElementById('status').classList.contains('error')", timeout=30_000)
        assert page.locator('#status').inner_text() == 'Live mode is off: permission to use the camera was refused. Choose or drop an image instead.'
        assert choose(page, sorted((workshop.data_dir/'7').glob('*.jpg'))[0])['label'] in workshop.labels
