"Many labels from paced services, against the loopback fake: limits kept, a 429 stops cleanly, the next run resumes."
import json
from pathlib import Path
import pytest
from conftest import primer, last_json
from fake_web import FakeWeb
from primer_lib.download import (download_images, check_download, read_attribution, read_pacing, write_pacing,
                                 LimitReached, PACING_FILE)

LABELS = [f'kind{i}' for i in range(12)]

@pytest.fixture
def fake():
    "Makes the fake, each label's search finding its own photos, with Openverse-like `limits` that answer 429"
    servers = []
    def make(limits=(), retry_after=True):
        servers.append(FakeWeb({label: [f'photo-{100 * i + j}.jpg' for j in range(6)] for i, label in enumerate(LABELS)},
                               limits, retry_after))
        return servers[-1]
    yield make
    for server in servers: server.close()

def pacing(monkeypatch, **limits):
    "The client's idea of each service's limits, tiny so that tests take seconds"
    monkeypatch.setenv('PRIMER_PACING', json.dumps(limits))

def download(web, dest, labels=LABELS, per_label=3, **kw):
    return download_images(dest, labels, per_label, 'openverse', base_url=web.base, timeout=3, show_progress=False,
                           search_terms=('{label}',), workers=4, **kw)

def time_passes(dest):
    "What an hour's wait does: the recorded requests and the 429's wait are behind us"
    write_pacing(dest, {})

def test_many_labels_are_paced_within_the_limit_and_say_so(fake, tmp_path, monkeypatch):
    web = fake(limits=((3, 0.9),))
    pacing(monkeypatch, openverse=[[3, 1.0]])
    said = []
    reports = download(web, tmp_path, say=said.append)
    assert reports.stopped == '' and reports.short() == {} and len(read_attribution(tmp_path)) == 36
    assert web.refused() == [] and len(web.searches) == 12  # one search per label, never one beyond the limit
    times = [t for t, *_ in web.searches]
    assert all(later - first >= 0.9 for first, later in zip(times, times[3:]))
    assert said and all(s.startswith('Openverse without a token allows 3 requests every 1 s: waiting 1 s, until ') for s in said)
    assert len(read_pacing(tmp_path)['openverse']['requests']) <= 3  # only those still inside a window are kept

def test_consecutive_runs_share_the_limit(fake, tmp_path, monkeypatch):
    web = fake(limits=((3, 1.8),))  # a little shorter than the client's: requests take time to arrive
    pacing(monkeypatch, openverse=[[3, 2.0]])
    download(web, tmp_path, LABELS[:3])
    said = []
    assert download(web, tmp_path, LABELS[3:6], say=said.append).short() == {}
    assert web.refused() == [] and len(said) == 1 and 'waiting 2 s' in said[0]

def test_a_429_with_retry_after_stops_cleanly_and_the_next_run_resumes(fake, tmp_path, monkeypatch):
    web = fake(limits=((5, 3600),))
    pacing(monkeypatch, openverse=[[100, 1]])  # the client does not know of the budget (others used the address)
    reports = download(web, tmp_path)
    assert len(web.refused()) == 1, 'a 429 asking for an hour is not asked again'
    assert reports.short() == {label: 3 for label in LABELS[5:]}
    assert all(reports[label].images == 3 for label in LABELS[:5])
    for words in ('"too many requests" (HTTP 429)', 'stopped with what it had', 'run the same command again in 60 min',
                  'OPENVERSE_TOKEN', 'pre-downloaded data folder'):
        assert words in reports.stopped
    with pytest.raises(LimitReached, match='in 60 min'): check_download(reports)
    asked = len(web.searches)
    assert download(web, tmp_path).stopped.startswith('Openverse without a token answered')  # at once: still waiting
    assert len(web.searches) == asked, 'a run inside the wait the server asked for sends nothing'
    time_passes(tmp_path); web.limits = ()  # the next day
    reports = download(web, tmp_path)
    assert reports.stopped == '' and reports.short() == {} and len(read_attribution(tmp_path)) == 36
    assert [s[1] for s in web.searches[asked:]] == LABELS[5:], 'finished labels are not searched again'
    assert {label: r.had for label, r in reports.items()} == {label: 3 if label in LABELS[:5] else 0 for label in LABELS}

def test_a_429_without_retry_after_waits_the_shortest_window_then_goes_on(fake, tmp_path, monkeypatch):
    web = fake(limits=((4, 1.0),), retry_after=False)
    pacing(monkeypatch, openverse=[[100, 1.0]])
    said = []
    reports = download(web, tmp_path, LABELS[:6], say=said.append)
    assert reports.stopped == '' and reports.short() == {} and len(web.refused()) >= 1
    assert any('answered "too many requests" (HTTP 429) and asked us to wait: waiting 1 s' in s for s in said)

def test_a_429_that_lasts_stops_after_three_tries(fake, tmp_path, monkeypatch):
    web = fake(limits=((2, 3600),), retry_after=False)
    pacing(monkeypatch, openverse=[[100, 0.3]])
    reports = download(web, tmp_path, LABELS[:4])
    assert len(web.refused()) == 3 and reports.short() == {'kind2': 3, 'kind3': 3}
    assert 'still answers "too many requests"' in reports.stopped and 'later (in a few minutes, or tomorrow)' in reports.stopped

def test_a_token_is_sent_and_paced_on_its_own(fake, tmp_path, monkeypatch):
    web = fake(limits=((100, 1),))
    monkeypatch.setenv('OPENVERSE_TOKEN', 'abc123')
    assert download(web, tmp_path, LABELS[:2]).short() == {}
    assert {s[3] for s in web.searches} == {'abc123'}
    assert set(read_pacing(tmp_path)) == {'openverse_token'}

def test_ddg_searches_are_spaced_and_a_block_stops_cleanly(tmp_path, monkeypatch):
    import time, ddgs.ddgs, ddgs.exceptions
    web, calls = FakeWeb(), []
    def images(self, query, max_results=10, page=1, **kw):
        calls.append(time.monotonic())
        if len(calls) > 3: raise ddgs.exceptions.RatelimitException('https://duckduckgo.com 202 Ratelimit')
        return [dict(title=query, image=web.url(f'photo-{LABELS.index(query) * 10 + i}.jpg'), url='') for i in range(3)]
    monkeypatch.setattr(ddgs.ddgs.DDGS, 'images', images)
    pacing(monkeypatch, ddg=[[1, 0.3]])
    try: reports = download_images(tmp_path, LABELS[:5], 3, 'ddg', search_terms=('{label}',), pause=0, show_progress=False, say=print)
    finally: web.close()
    assert all(b - a >= 0.29 for a, b in zip(calls, calls[1:]))
    # kind0: pages 1 and 2 (the same: the end); kind1: page 1, then blocked on page 2 (it keeps page 1's);
    # kind2: waits the shortest window, then blocked with nothing: the download stops
    assert len(calls) == 5 and calls[4] - calls[3] >= 0.29
    assert reports.short() == {label: 3 for label in LABELS[2:5]} and reports['kind1'].images == 3
    assert 'DuckDuckGo is limiting searches' in reports.stopped and 'run the same command again' in reports.stopped

def test_primer_download_stops_at_the_days_budget_and_resumes(fake, tmp_path):
    web = fake(limits=((100, 1),))
    env = dict(PRIMER_OPENVERSE_URL=web.base, PRIMER_PACING=json.dumps(dict(openverse=[[100, 1], [4, 3600]])))
    args = ('download', '--source', 'openverse', '--labels', ','.join(LABELS[:8]), '--search', '{label}',
            '--per-label', 3, '--dest', tmp_path)
    res = primer(*args, env=env)
    assert res.returncode == 3 and 'Traceback' not in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert 'allows 4 requests an hour' in res.stderr and 'run the same command again in 60 min' in res.stderr
    assert '8 labels need at least 8 searches' in res.stdout  # said before it started
    out = last_json(res.stdout)
    assert out['short'] == {label: 3 for label in LABELS[4:8]} and out['stopped'] in res.stderr
    assert web.refused() == [] and len(web.searches) == 4
    time_passes(tmp_path)
    res = primer(*args, env=env)
    assert res.returncode == 0, res.stderr
    assert last_json(res.stdout)['short'] == {} and [s[1] for s in web.searches[4:]] == LABELS[4:8]

def test_primer_download_says_which_labels_the_sample_can_give(tmp_path):
    res = primer('download', '--labels', ','.join(map(str, range(150))), '--per-label', 2, '--dest', tmp_path)
    assert res.returncode == 2 and 'Traceback' not in res.stderr
    assert 'only the digits 0 to 9' in res.stderr and '10, 11, 12 and 137 more are not among them' in res.stderr
    assert not Path(tmp_path).exists() or list(Path(tmp_path).iterdir()) == []
    reports = download_images(tmp_path, [str(i) for i in range(10)], 2, show_progress=False)  # all ten digits: fine
    assert {label: r.images for label, r in reports.items()} == {str(i): 2 for i in range(10)}
