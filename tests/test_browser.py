"The app in a real browser (Debian's Chromium driven by playwright): good images, every kind of bad upload, and recovery."
import os, subprocess, time, urllib.request
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from conftest import free_port, PRIMER, ROOT
from fake_web import as_bytes, png_bomb
from primer_lib.settings import workshop_settings

CHROMIUM = Path('/usr/bin/chromium')
ARTIFACTS = Path(os.environ.get('PRIMER_ARTIFACTS', ROOT/'runs'/'artifacts'))
LIMIT_MB = 1

def wait_for_http(url, seconds=120):
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        try:
            with urllib.request.urlopen(url, timeout=60) as r: return r.status
        except OSError: time.sleep(0.5)
    raise TimeoutError(f'{url} did not answer in {seconds} s')

@pytest.fixture(scope='module')
def app_url(trained, tmp_path_factory):
    port, log = free_port(), tmp_path_factory.mktemp('app')/'voila.log'
    with open(log, 'w') as out:
        server = subprocess.Popen([PRIMER, 'app', '--model', trained[0], '--port', str(port), '--max-upload-mb', str(LIMIT_MB)],
                                  cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_http(f'http://127.0.0.1:{port}/')
        yield f'http://127.0.0.1:{port}/'
    finally:
        server.terminate(); server.wait(30)

@pytest.fixture(scope='module')
def page(app_url):
    if not CHROMIUM.exists():
        if os.environ.get('CI'): pytest.fail(f'{CHROMIUM} is missing: CI installs it with `make browser` (apt-get install chromium).')
        pytest.skip(f'{CHROMIUM} is missing: run `make browser` (apt-get install chromium).')
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=['--no-sandbox', '--disable-background-networking'])
        page = browser.new_page(viewport=dict(width=900, height=800))
        page.goto(app_url, timeout=120_000)
        page.get_by_text('This model tells apart').wait_for(timeout=120_000)
        yield page
        browser.close()

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
    return bytes(page.locator('img.widget-image').evaluate(
        "async img => Array.from(new Uint8Array(await (await fetch(img.src)).arrayBuffer()))"))

def test_the_page_classifies_good_files_and_explains_bad_ones(page, tmp_path, confident_three):
    from primer_lib.predict import open_image
    from primer_lib.serve import thumbnail_png
    img, library = confident_three
    good = as_bytes(img, 'JPEG', quality=95)
    assert upload(page, tmp_path, 'three.jpg', good).splitlines()[1].startswith('3 (')
    assert shown_thumbnail(page) == thumbnail_png(open_image(good))  # the thumbnail is this upload's
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
