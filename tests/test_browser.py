"The app in a real browser (Debian's Chromium driven by playwright): good images, every kind of bad upload, recovery, the model process gone and back, and 150 labels."
import json, os, subprocess, time, urllib.request
from pathlib import Path
import numpy as np
import psutil
import pytest
from PIL import Image
from conftest import start_on_free_port, primer, last_json, PRIMER, ROOT
from fake_web import as_bytes, png_bomb
from primer_lib.settings import workshop_settings
from primer_lib.model_server import healthy

from conftest import CHROMIUM
ARTIFACTS = Path(os.environ.get('PRIMER_ARTIFACTS', ROOT/'runs'/'artifacts'))
LIMIT_MB = 1

def wait_for_http(url, seconds=120):
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        try:
            with urllib.request.urlopen(url, timeout=60) as r: return r.status
        except OSError: time.sleep(0.5)
    raise TimeoutError(f'{url} did not answer in {seconds} s')

def serve_app(model, log):
    "Start `primer app` for `model` (its output in the file `log`) and wait until it answers; (the process, the page's address)"
    server, port = start_on_free_port(['app', '--model', model, '--max-upload-mb', LIMIT_MB], log)
    try: wait_for_http(f'http://127.0.0.1:{port}/')
    except TimeoutError: server.kill(); raise AssertionError(Path(log).read_text()[-3000:])
    return server, f'http://127.0.0.1:{port}/'

def stop(server):
    server.terminate()
    try: server.wait(30)
    except subprocess.TimeoutExpired: server.kill()

@pytest.fixture(scope='module')
def app(trained, tmp_path_factory):
    "`primer app` serving the digits model: (the process, the page's address)"
    server, url = serve_app(trained[0], tmp_path_factory.mktemp('app')/'voila.log')
    yield server, url
    stop(server)

def open_page(browser, url):
    "A new page of the app at `url`, once it says what the model tells apart"
    page = browser.new_page(viewport=dict(width=900, height=800))
    page.goto(url, timeout=120_000)
    page.get_by_text('This model tells apart').wait_for(timeout=120_000)
    return page

@pytest.fixture(scope='module')
def page(app, browser): return open_page(browser, app[1])

def upload(page, tmp_path, name, data):
    "Upload `data` as `name` and return the answer's text once the page shows it"
    (tmp_path/name).write_bytes(data)
    with page.expect_file_chooser() as chooser: page.locator('.widget-upload').click()  # ipywidgets 8 opens its input itself
    chooser.value.set_files(str(tmp_path/name))
    page.locator('.primer-file', has_text=name).wait_for(timeout=60_000)
    return page.locator('.primer-file', has_text=name).locator('xpath=..').inner_text()

@pytest.fixture(scope='module')
def confident_three(trained, sample_data):
    "A 3 the model is sure of, and how the library classifies any bytes (what the page must show)"
    from primer_lib.predict import load_model, predict_image
    learn = load_model(trained[0])
    path = next(f for f in sorted((sample_data/'3').glob('*.jpg')) if predict_image(learn, f)['probability'] > 0.9
                and predict_image(learn, f)['label'] == '3')
    return Image.open(path).convert('RGB'), lambda data: predict_image(learn, data)

def variants(img):
    "The same digit as grayscale, RGBA, CMYK, 16-bit, animated and EXIF-rotated files"
    exif = Image.Exif(); exif[0x0112] = 6  # stored turned left; the viewer turns it right
    frames = [img.convert('P'), Image.new('P', img.size, 0)]
    return {'grey.png': as_bytes(img.convert('L'), 'PNG'), 'alpha.png': as_bytes(img.convert('RGBA'), 'PNG'),
            'cmyk.jpg': as_bytes(img.convert('CMYK'), 'JPEG', quality=95),
            'deep.png': as_bytes(Image.fromarray(np.asarray(img.convert('L')).astype(np.uint16) * 257), 'PNG'),
            'moving.gif': as_bytes(frames[0], 'GIF', save_all=True, append_images=frames[1:], duration=200),
            'turned.jpg': as_bytes(img.rotate(90, expand=True), 'JPEG', quality=95, exif=exif)}

def shown_thumbnail(page):
    "The bytes of the image the page's picture widget shows"
    return bytes(page.locator('img.primer-thumbnail').evaluate(
        "async img => Array.from(new Uint8Array(await (await fetch(img.src)).arrayBuffer()))"))

def test_the_page_classifies_good_files_and_explains_bad_ones(page, tmp_path, confident_three):
    from primer_lib.predict import open_image
    from primer_lib.serve import thumbnail_png
    img, library = confident_three
    good = as_bytes(img, 'JPEG', quality=95)
    assert upload(page, tmp_path, 'three.jpg', good).splitlines()[1].startswith('3 (')
    assert shown_thumbnail(page) == thumbnail_png(open_image(good))  # the thumbnail is this upload's
    assert page.locator('img.primer-thumbnail').get_attribute('alt') == 'three.jpg'  # its text for screen readers
    assert page.locator('[aria-live="polite"] h2').count() == 1  # the answer is in a live region: screen readers say it
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS/'app.png'), full_page=True)
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 255, (900, 900, 3), dtype=np.uint8))
    bad = {'notes.jpg': (b'this is text, not a picture', 'Not an image'),
           'cut.jpg': (good[:len(good) // 3], 'truncated'),
           'empty.jpg': (b'', 'is empty'),
           'huge.png': (as_bytes(noise, 'PNG'), f'the limit is {LIMIT_MB} MB'),
           # over the websocket's limit too (2 x the limit + 1 MB): the page must say so, not lose its connection
           'enormous.png': (as_bytes(Image.fromarray(np.random.default_rng(1).integers(0, 255, (1400, 1400, 3), dtype=np.uint8)), 'PNG'),
                            f'enormous.png is 5.9 MB; the limit is {LIMIT_MB} MB'),
           'bomb.png': (png_bomb(), 'too many pixels')}
    for name, (data, message) in bad.items():
        text = upload(page, tmp_path, name, data)
        assert message in text and 'Traceback' not in page.content(), (name, text)
    for name, data in variants(img).items():
        expected = library(data)
        sure = expected['probability'] >= workshop_settings().unsure_below
        text = upload(page, tmp_path, name, data)
        assert text.splitlines()[1].startswith(f"{expected['label']} ({expected['probability']:.0%})" if sure else 'Not sure'), (name, text, expected)
        assert 'Traceback' not in page.content()
    assert upload(page, tmp_path, 'three-again.jpg', good).splitlines()[1].startswith('3 (')  # still works afterwards
    assert shown_thumbnail(page) == thumbnail_png(open_image(good))
    page.screenshot(path=str(ARTIFACTS/'app-after-bad-uploads.png'), full_page=True)

def model_processes(server):
    "The model process's supervisor and the model process under `primer app`"
    procs = [p for p in psutil.Process(server.pid).children(recursive=True) if 'primer_lib.model_server' in ' '.join(p.cmdline())]
    return next(p for p in procs if 'supervisor' in p.cmdline()), next(p for p in procs if 'worker' in p.cmdline())

def test_the_page_says_when_the_model_is_gone_and_works_when_it_is_back(page, app, tmp_path, confident_three):
    good = as_bytes(confident_three[0], 'JPEG', quality=95)
    supervisor, worker = model_processes(app[0])
    port = next(c.laddr.port for c in supervisor.net_connections('tcp') if c.status == psutil.CONN_LISTEN)  # the socket it hands down
    supervisor.suspend()  # so that it does not start the model process again while we look
    try:
        worker.kill()  # its socket stays open in the (held) supervisor: an upload now waits, and the page gives up after 30 s
        ends = time.monotonic() + 30
        while healthy(f'http://127.0.0.1:{port}') and time.monotonic() < ends: time.sleep(0.1)
        text = upload(page, tmp_path, 'while-gone.jpg', good)
        assert 'try again in a moment' in text and 'Traceback' not in page.content(), text
        assert 'Not an image' in upload(page, tmp_path, 'notes-while-gone.jpg', b'text, not a picture')  # checked by the page itself
    finally: supervisor.resume()
    ends = time.monotonic() + 120
    while not healthy(f'http://127.0.0.1:{port}') and time.monotonic() < ends: time.sleep(0.5)  # answers again (403 to us: we have no secret)
    assert upload(page, tmp_path, 'three-when-back.jpg', good).splitlines()[1].startswith('3 (')
    assert 'Traceback' not in page.content()

def kinds(n):
    "`n` label names, as many a workshop has"
    return [f'kind-{i:03d}' for i in range(n)]

@pytest.fixture(scope='module')
def many_labels_model(tmp_path_factory):
    "A model of 150 labels: synthetic images (a colour and a stripe per label), trained by `primer train`'s fast recipe at 32 pixels"
    data, rng = tmp_path_factory.mktemp('kinds'), np.random.default_rng(0)
    for i, label in enumerate(kinds(150)):
        (data/label).mkdir()
        for j in range(8):  # 8, so that each label keeps training images after the validation split
            pixels = np.full((32, 32, 3), [(i * 37) % 256, (i * 91) % 256, (i * 13) % 256], np.uint8)
            pixels[(i % 8) * 4:(i % 8) * 4 + 4] = 255 - pixels[0, 0]
            Image.fromarray(np.clip(pixels + rng.integers(-8, 8, pixels.shape), 0, 255).astype(np.uint8)).save(data/label/f'{j}.png')
    out = tmp_path_factory.mktemp('kinds-model')/'kinds.pkl'
    res = primer('train', '--data', data, '--recipe', 'fast', '--size', 32, '--epochs', 1, '--out', out)
    assert res.returncode == 0, res.stderr
    return out, data

def test_150_labels_answer_with_the_top_few_and_a_summarised_list(many_labels_model, browser, tmp_path):
    model, data = many_labels_model
    server, url = serve_app(model, tmp_path/'voila.log')
    try:
        page = open_page(browser, url)
        assert page.get_by_text('This model tells apart 150 labels').is_visible()
        assert not page.get_by_text('kind-149').is_visible()  # the names are not spelled out up front...
        page.get_by_text('This model tells apart 150 labels').click()
        assert page.get_by_text('kind-149').is_visible()  # ...but open on a click
        text = upload(page, tmp_path, 'a-kind.png', (data/'kind-007'/'0.png').read_bytes())
        answer = page.locator('.primer-file', has_text='a-kind.png').locator('xpath=..')
        assert answer.locator('h2').count() == 1 and 1 <= answer.locator('progress').count() <= 10, text
        assert f"and {150 - answer.locator('progress').count()} more" in text, text
        assert 'Traceback' not in page.content()
        page.screenshot(path=str(ARTIFACTS/'app-150-labels.png'), full_page=True)
    finally: stop(server)

def test_the_app_passes_axe_before_and_after_an_upload(page, tmp_path, confident_three):
    from axe_check import axe_violations, serious
    assert serious(found := axe_violations(page)) == [], found
    assert upload(page, tmp_path, 'three-for-axe.jpg', as_bytes(confident_three[0], 'JPEG', quality=95)).splitlines()[1].startswith('3 (')
    assert serious(found := axe_violations(page)) == [], found
    page.locator('body').focus(); page.keyboard.press('Tab')
    assert page.evaluate("document.activeElement.closest('.widget-upload') !== null || document.activeElement.tagName === 'BUTTON'")
