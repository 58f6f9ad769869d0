"Web sources against a loopback fake: what is kept, what is rejected and why, attribution, top-ups, deadlines."
import hashlib, io, sys, threading, time, tracemalloc, warnings
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from conftest import primer, last_json
from fake_web import FakeWeb, FILES, KEPT, REJECTED, GOOD, as_bytes, photo
from primer_lib.download import (download_images, search_openverse, search_ddg, search_jmd, check_no_pathlib_backport,
                                 read_attribution, ATTRIBUTION_COLUMNS, fetch, open_download, to_rgb, Rejected)
from primer_lib.clean import apply_decisions

EVERYTHING = list(FILES)

@pytest.fixture
def web():
    server = FakeWeb({'bears': EVERYTHING, 'bears photo': ['good.jpg', 'good.png'], 'nothing': [],
                      'many': ['good.jpg'] * 50, 'slow': [f'stall-{i}.jpg' for i in range(6)]})
    yield server
    server.close()

class FolderWatcher:
    "Lists every name that ever appears in `folder` while a download runs"
    def __init__(self, folder):
        self.folder, self.seen, self.done = folder, set(), threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True); self.thread.start()
    def watch(self):
        while not self.done.is_set():
            if self.folder.is_dir(): self.seen |= {p.name for p in self.folder.iterdir()}
            time.sleep(0.002)
    def stop(self): self.done.set(); self.thread.join(); return self.seen

def openverse(web, dest, per_label, **kwargs):
    return download_images(dest, ['bears'], per_label, 'openverse', base_url=web.base, timeout=3, show_progress=False, **kwargs)

def test_openverse_keeps_exactly_the_good_images_with_their_credit(web, tmp_path):
    watcher = FolderWatcher(tmp_path/'bears')
    report = openverse(web, tmp_path, 30, search_terms=('{label}', '{label} photo'))['bears']
    seen = watcher.stop()
    rows = read_attribution(tmp_path)
    names = {Path(r['url']).name for r in rows}
    assert names - {'good.jpg', 'copy.jpg'} == set(KEPT) - {'good.jpg'} and len(names & {'good.jpg', 'copy.jpg'}) == 1
    assert report.as_dict() == dict(images=9, had=0, kept=9, duplicates=1, rejected=REJECTED)
    files = sorted((tmp_path/'bears').iterdir())
    assert seen == {f.name for f in files}, 'a file that is not a finished image appeared in the label folder'
    assert sorted(f'bears/{f.name}' for f in files) == sorted(r['file'] for r in rows)
    for f in files:
        assert f.suffix == '.jpg' and f.stem == hashlib.sha256(f.read_bytes()).hexdigest()[:20]
        with Image.open(f) as img: assert img.format == 'JPEG' and img.mode == 'RGB'
    by_name = {Path(r['url']).name: r for r in rows}
    assert list(rows[0]) == ATTRIBUTION_COLUMNS
    assert by_name['cmyk.jpg']['license'] == 'by-sa 2.0' and by_name['cmyk.jpg']['source'] == 'openverse'
    assert by_name['cmyk.jpg']['creator'].startswith('creator ') and by_name['cmyk.jpg']['title'] == 'bears cmyk.jpg'
    with Image.open(tmp_path/by_name['rotated.jpg']['file']) as img:
        top, bottom = img.getpixel((30, 10)), img.getpixel((30, 110))
        assert img.size == (60, 120) and top[0] > 200 and top[1] < 60 and min(bottom) > 200  # red on top
    with Image.open(tmp_path/by_name['palette.png']['file']) as img:
        assert img.getpixel((50, 30)) >= (250, 250, 250)  # transparent became white paper

def test_429_is_retried_after_the_wait_the_server_asks(web, tmp_path):
    download_images(tmp_path, ['bears'], 30, 'openverse', base_url=web.base, timeout=3, show_progress=False)
    first, second = web.hits_of('/img/busy.jpg')
    assert second - first >= 0.9

def test_a_rerun_tops_up_without_fetching_what_is_there(web, tmp_path):
    assert openverse(web, tmp_path, 3)['bears'].images == 3
    kept_before = {r['url'] for r in read_attribution(tmp_path)}
    hits_before = len(web.hits)
    report = openverse(web, tmp_path, 5)['bears']
    assert report.as_dict()['had'] == 3 and report.images == 5
    fetched_again = [p for _, p in web.hits[hits_before:] if web.base + p in kept_before]
    assert fetched_again == []
    assert openverse(web, tmp_path, 5)['bears'].as_dict() == dict(images=5, had=5, kept=0, duplicates=0, rejected={})
    assert len(read_attribution(tmp_path)) == 5

def test_openverse_pages_through_anonymously(web):
    found = search_openverse('many', 45, base_url=web.base)
    assert len(found) == 45
    assert len(web.hits_of('/v1/images/')) == 3  # 20 + 20 + 5: anonymous pages hold 20

def test_overall_deadline_is_held(web, tmp_path):
    started = time.monotonic()
    report = download_images(tmp_path, ['slow'], 6, 'openverse', base_url=web.base, timeout=1, deadline=1.5,
                             workers=2, search_terms=('slow',), show_progress=False)['slow']
    assert time.monotonic() - started < 1.5 + 1 + 1.5
    assert report.kept == 0 and sum(report.rejected.values()) == 6 and set(report.rejected) == {'timeout', 'deadline'}

def test_ddg_pages_are_downloaded_like_any_source(web, tmp_path, monkeypatch):
    import ddgs.ddgs, ddgs.exceptions  # ddgs.DDGS is a lazy proxy; patch the real class
    pages = []
    def images(self, query, max_results=10, page=1, backend='auto', **kw):
        pages.append(page)
        names = EVERYTHING[(page - 1) * 8:page * 8]
        if not names: raise ddgs.exceptions.DDGSException('No results found.')
        return [dict(title=f'{query} {n}', image=web.url(n), url=f'{web.base}/page/{n}', thumbnail='', source='Bing') for n in names]
    monkeypatch.setattr(ddgs.ddgs.DDGS, 'images', images)
    monkeypatch.setenv('PRIMER_PACING', '{"ddg": []}')  # no spacing between the fake's pages
    assert len(search_ddg('bears', 20, pause=0)) == len(EVERYTHING) and pages == [1, 2, 3, 4]
    report = download_images(tmp_path, ['bears'], 30, 'ddg', pause=0, timeout=3, show_progress=False)['bears']
    assert report.as_dict() == dict(images=9, had=0, kept=9, duplicates=1, rejected=REJECTED)
    assert {r['source'] for r in read_attribution(tmp_path)} == {'ddg'}

def test_ddg_failure_says_what_to_do(monkeypatch):
    import ddgs.ddgs, ddgs.exceptions
    def throttled(self, *a, **kw): raise ddgs.exceptions.RatelimitException('202 Ratelimit')
    monkeypatch.setattr(ddgs.ddgs.DDGS, 'images', throttled)
    with pytest.raises(RuntimeError, match='Wait a minute'): search_ddg('bears', 5, pause=0)

def test_jmd_results_are_downloaded_and_a_hang_is_cut_at_the_deadline(web, tmp_path, monkeypatch):
    import jmd_imagescraper.core as jmd
    monkeypatch.setattr(jmd, 'duckduckgo_scrape_urls', lambda q, n, *a: [web.url(n) for n in KEPT[:4]])
    report = download_images(tmp_path, ['bears'], 4, 'jmd', search_terms=('{label}',), timeout=3, show_progress=False)['bears']
    assert report.kept == 4 and {r['source'] for r in read_attribution(tmp_path)} == {'jmd'}
    def throttled_forever(q, n, *a):
        while True: time.sleep(5)  # what jmd_imagescraper does when DuckDuckGo throttles it
    monkeypatch.setattr(jmd, 'duckduckgo_scrape_urls', throttled_forever)
    started = time.monotonic()
    with pytest.raises(RuntimeError, match='Use the source ddg'): search_jmd('bears', 5, search_deadline=1)
    assert time.monotonic() - started < 4

def test_pathlib_backport_is_never_used(tmp_path, monkeypatch):
    import pathlib, sysconfig
    assert Path(pathlib.__file__).parent.resolve() == Path(sysconfig.get_paths()['stdlib']).resolve()
    check_no_pathlib_backport()  # the installed environment has none
    (tmp_path/'pathlib.py').write_text('# the PyPI backport\n')
    monkeypatch.setattr(sys, 'path', [str(tmp_path), *sys.path])
    with pytest.raises(RuntimeError, match='pip uninstall -y pathlib'): search_jmd('bears', 5)

def test_primer_download_from_openverse(web, tmp_path):
    web.queries['cats'] = [n for n in EVERYTHING if n != 'stall.jpg']
    env = {'PRIMER_OPENVERSE_URL': web.base}
    res = primer('download', '--source', 'openverse', '--labels', 'cats,nothing', '--search', '{label}',
                 '--per-label', 30, '--dest', tmp_path, env=env)
    assert res.returncode == 2 and 'No images for label(s) nothing' in res.stderr and 'Traceback' not in res.stderr
    out = last_json(res.stdout)
    assert out['images'] == {'cats': 9, 'nothing': 0}
    assert out['report']['cats']['rejected'] == {k: v for k, v in REJECTED.items() if k != 'timeout'}
    assert len(read_attribution(tmp_path)) == 9 and len(list((tmp_path/'cats').glob('*.jpg'))) == 9
    res = primer('download', '--source', 'openverse', '--labels', 'cats,dogs', '--search', '{label}',
                 '--per-label', 9, '--dest', tmp_path, env={'PRIMER_OPENVERSE_URL': 'http://127.0.0.1:9'})
    assert res.returncode == 2 and 'did not answer' in res.stderr and 'sample' in res.stderr
    assert len(list((tmp_path/'cats').glob('*.jpg'))) == 9  # nothing already downloaded is lost
    res = primer('download', '--source', 'openverse', '--labels', 'cats,cats', '--dest', tmp_path, env=env)
    assert res.returncode == 2 and 'all different' in res.stderr
    res = primer('download', '--labels', '3,7', '--per-label', -2, '--dest', tmp_path)
    assert res.returncode == 2 and "'images_per_label'" in res.stderr

def images_named(dest, names):
    "The label folders of `dest` holding an image named like one of `names` (a '-1' suffix aside)"
    return sorted(p.parent.name for p in Path(dest).glob('*/*.jpg') if p.stem.split('-')[0] in names)

def test_a_download_never_brings_back_what_cleaning_moved(tmp_path):
    download_images(tmp_path, ['3', '7'], 10, show_progress=False)
    three = sorted((tmp_path/'3').glob('*.jpg'))
    out, moved = [p.stem for p in three[:2]], three[2].stem
    apply_decisions(tmp_path, dict(delete=[f'3/{p.name}' for p in three[:2]], relabel={f'3/{three[2].name}': '7'}), log=print)
    report = download_images(tmp_path, ['3', '7'], 10, show_progress=False)
    assert images_named(tmp_path, out) == [] and images_named(tmp_path, [moved]) == ['7']
    assert report['3'].as_dict() == dict(images=10, had=7, kept=3, duplicates=0, rejected={'cleaned': 3})
    assert report['7'].as_dict()['had'] == 11

def test_a_web_download_never_brings_back_cleaned_content_from_another_address(web, tmp_path):
    web.queries['pair'] = ['good.jpg', 'good.webp']
    openverse(web, tmp_path, 2, search_terms=('pair',))
    out = next(r['file'] for r in read_attribution(tmp_path) if r['url'] == web.url('good.jpg'))
    apply_decisions(tmp_path, dict(delete=[out]), log=print)
    web.queries['pair'] += ['copy.jpg', 'good.png']  # copy.jpg: good.jpg's content at another address
    report = openverse(web, tmp_path, 2, search_terms=('pair',))['bears']
    assert images_named(tmp_path, [Path(out).stem]) == []
    assert report.as_dict() == dict(images=2, had=1, kept=1, duplicates=0, rejected={'cleaned': 1})

def test_a_top_up_pages_past_what_is_recorded(web, tmp_path):
    web.queries['photos'] = [f'photo-{i}.jpg' for i in range(40)]
    assert openverse(web, tmp_path, 20, search_terms=('photos',))['bears'].kept == 20
    assert openverse(web, tmp_path, 25, search_terms=('photos',))['bears'].as_dict()['kept'] == 5
    with pytest.warns(UserWarning, match=r'bears: 15 new images of the 25 wanted, 10 missing: the openverse search ran out'):
        report = openverse(web, tmp_path, 50, search_terms=('photos',))['bears']
    assert report.images == 40 and len(read_attribution(tmp_path)) == 40

def test_only_http_is_fetched_and_addresses_are_quoted(web, tmp_path):
    with pytest.raises(Rejected, match='not http'): fetch('file:///etc/hostname')
    assert fetch(web.url('photo-7 grizzly bär.jpg')) == as_bytes(photo(7), 'JPEG')
    assert web.hits[-1][1] == '/img/photo-7%20grizzly%20b%C3%A4r.jpg'
    web.queries['odd'] = ['file:///etc/hostname', 'photo-8 ours brun à Québec.jpg']
    report = openverse(web, tmp_path, 2, search_terms=('odd',))['bears']
    assert report.kept == 1 and dict(report.rejected) == {'not http': 1}

def finishes_within(seconds, fn):
    "What `fn()` returns (or raises), given that it must finish within `seconds`; a test failure otherwise"
    box, started = [], time.monotonic()
    def run():
        try: box.append(fn())
        except Exception as e: box.append(e)
    threading.Thread(target=run, daemon=True).start()
    while not box and time.monotonic() - started < seconds: time.sleep(0.02)
    assert box, f'still running after {seconds} s'
    return box[0], time.monotonic() - started

def test_the_time_limit_holds_for_the_whole_body_of_a_trickling_host(web):
    outcome, took = finishes_within(10, lambda: fetch(web.url('trickle.jpg'), timeout=1))
    assert isinstance(outcome, Rejected) and str(outcome) == 'timeout'  # the whole body would take minutes
    outcome, took = finishes_within(10, lambda: fetch(web.url('trickle.jpg'), timeout=30, deadline=time.monotonic() + 1))
    assert str(outcome) == 'timeout'  # the deadline, not the 30 s timeout: within 10 s

def test_no_wait_runs_past_the_deadline(web, tmp_path, monkeypatch):
    web.queries['later'] = ['wait.jpg']  # 429, Retry-After: 5
    slept, sleep = [], time.sleep
    monkeypatch.setattr(time, 'sleep', lambda s: slept.append(s) or sleep(s))  # what was waited, not how long it took
    report, took = finishes_within(20, lambda: openverse(web, tmp_path, 1, search_terms=('later',), deadline=2)['bears'])
    assert dict(report.rejected) == {'HTTP 429': 1} and not [s for s in slept if s >= 2], slept
    outcome, took = finishes_within(20, lambda: fetch(web.url('wait.jpg'), timeout=2))
    assert str(outcome) == 'HTTP 429' and not [s for s in slept if s >= 2] and len(web.hits_of('/img/wait.jpg')) == 2

def test_the_pixel_cap_is_checked_from_the_header_by_many_threads_at_once(monkeypatch):
    monkeypatch.setattr(Image, 'MAX_IMAGE_PIXELS', 10_000)
    big = as_bytes(Image.new('L', (120, 120)), 'PNG')  # 14400 pixels: over the cap, under twice the cap
    filters, results = list(warnings.filters), []
    def open_many():
        for _ in range(300):
            try: open_download(big); results.append('decoded')
            except Rejected as e: results.append(str(e))
    interval = sys.getswitchinterval()
    with warnings.catch_warnings():  # Pillow's own warning, once per image, is not what this test is about
        warnings.simplefilter('ignore', Image.DecompressionBombWarning)
        inner = list(warnings.filters)
        threads = [threading.Thread(target=open_many) for _ in range(8)]
        sys.setswitchinterval(1e-6)  # threads take turns as often as they can, so that races show
        try:
            for t in threads: t.start()
            for t in threads: t.join()
        finally: sys.setswitchinterval(interval)
        assert warnings.filters == inner, 'the download changed the process-wide warning filters'
    assert set(results) == {'too large'} and len(results) == 2400
    assert warnings.filters == filters

def test_16_bit_images_become_8_bit_without_float_copies():
    deep = Image.fromarray(np.arange(3000 * 3000, dtype=np.uint32).reshape(3000, 3000).astype(np.uint16))
    tracemalloc.start()
    try: rgb = to_rgb(deep); peak = tracemalloc.get_traced_memory()[1]
    finally: tracemalloc.stop()
    assert rgb.mode == 'RGB' and rgb.getpixel((2999, 2999)) == ((3000 * 3000 - 1) % 65536 // 257,) * 3
    assert peak < 20e6, f'{peak / 1e6:.0f} MB of arrays to convert a 9-megapixel image'  # float64: 3 x 72 MB

def test_postscript_named_jpg_is_not_an_image_and_ghostscript_never_runs(monkeypatch):
    from PIL import EpsImagePlugin
    calls = []
    monkeypatch.setattr(EpsImagePlugin, 'has_ghostscript', lambda: True)
    monkeypatch.setattr(EpsImagePlugin, 'Ghostscript', lambda *a, **k: calls.append(a) or Image.new('RGB', (10, 10)).im)
    eps = b'%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nnewpath 0 0 moveto 10 10 lineto stroke showpage\n%%EOF\n'
    with pytest.raises(Rejected, match='not an image'): open_download(eps)
    assert calls == []

def test_redirects_to_loopback_are_refused_and_the_fake_web_can_be_allowed(web, monkeypatch):
    with pytest.raises(Rejected, match='redirect to a private address'): fetch(web.url('moved-to-good.jpg'), timeout=5)
    assert web.hits_of('/img/good.jpg') == []  # never followed
    import primer_lib.download
    monkeypatch.setattr(primer_lib.download, 'redirect_allowed', lambda host: host == '127.0.0.1')  # this test's web only
    assert fetch(web.url('moved-to-good.jpg'), timeout=5) == GOOD

def test_attribution_cells_from_web_titles_never_start_a_formula(web, tmp_path):
    web.queries['formula'] = ['good.jpg']
    web.results = lambda q, results=web.results: [dict(r, title='=HYPERLINK("http://x", "click")', creator='@me') for r in results(q)]
    openverse(web, tmp_path, 1, search_terms=('formula',))
    row = read_attribution(tmp_path)[0]
    assert row['title'] == '\'=HYPERLINK("http://x", "click")' and row['creator'] == "'@me", row

def settings_for(web, tmp_path, labels, per_label=2):
    from dataclasses import replace
    from primer_lib.settings import workshop_settings
    return replace(workshop_settings(), source='openverse', openverse_url=web.base, labels=tuple(labels), images_per_label=per_label,
                   data_dir=tmp_path/'data', search_terms=('{label}',))

def test_a_download_that_stops_part_way_keeps_the_labels_and_its_images(web, tmp_path):
    from primer_lib.download import images_or_sample
    said = []
    cfg = settings_for(web, tmp_path, ['bears photo', 'nothing'])
    used, reports = images_or_sample(cfg, say=said.append, show_progress=False, timeout=3)
    assert used == cfg and reports['bears photo'].images == 2 and reports['nothing'].images == 0
    assert not (tmp_path/'data'/'3').exists()  # no digits mixed in
    cfg = settings_for(web, tmp_path, ['bears photo', 'more'], per_label=4)
    cfg = cfg.__class__(**{**cfg.__dict__, 'openverse_url': 'http://127.0.0.1:9'})  # the search service is gone now
    used, reports = images_or_sample(cfg, say=said.append, show_progress=False, timeout=3)
    assert used == cfg and len(said) == 1 and 'Your labels and the 2 images so far are kept' in said[0] and '\n' not in said[0], said
    assert 'did not answer' in said[0], said

def test_the_sample_is_the_fallback_only_when_no_label_got_an_image(web, tmp_path):
    from primer_lib.download import images_or_sample
    said = []
    used, reports = images_or_sample(settings_for(web, tmp_path, ['nothing']), say=said.append, show_progress=False, timeout=3)
    assert used.source == 'sample' and all(r.images for r in reports.values()) and 'offline sample' in said[0], said

def test_installing_primer_cannot_pull_in_known_bad_versions():
    import tomllib
    from packaging.requirements import Requirement
    deps = {r.name: r.specifier for r in map(Requirement, tomllib.loads((Path(__file__).parents[1]/'pyproject.toml').read_text())['project']['dependencies'])}
    assert not deps['urllib3'].contains('2.6.3') and deps['urllib3'].contains('2.7.0')  # decompression-bomb advisories
    # 2.10.0 breaks fastai's import and 2.10.1 learn.export() (cannot pickle RLock: found by the one notebook in Colab's versions)
    assert not deps['plum-dispatch'].contains('2.10.0') and not deps['plum-dispatch'].contains('2.10.1') and deps['plum-dispatch'].contains('2.9.0')
    assert not deps['pillow'].contains('10.2.0')
