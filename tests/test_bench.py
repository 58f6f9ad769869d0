"`primer bench` runs both recipes on the same data and prints one JSON line each, then the ratios."
import json
from conftest import primer

def test_bench_prints_a_line_per_recipe_and_the_ratios(sample_data):
    res = primer('bench', '--data', sample_data, '--seeds-epochs', 1, '--size', 48)
    assert res.returncode == 0, res.stderr
    seeds, fast, training, forward, ratios = [json.loads(l) for l in res.stdout.strip().splitlines()[-5:]]
    assert [r['recipe'] for r in (seeds, fast, training, forward)] == ['seeds', 'fast', 'fast, training only', 'one forward pass']
    for row in (seeds, fast, training): assert 0 <= row['accuracy'] <= 1 and row['seconds'] > 0
    assert training['accuracy'] == fast['accuracy']  # the same data and split, and the fast path is deterministic
    assert forward['accuracy'] is None and forward['seconds'] > 0
    assert ratios == dict(speedup=round(seeds['seconds'] / fast['seconds'], 1),
                          training_over_forward=round(training['seconds'] / forward['seconds'], 2))
