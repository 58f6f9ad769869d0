"`primer bench` runs both recipes, `primer train` as a process and the body's pass on the same data and prints one JSON line each, then the ratios."
import json
from conftest import primer

def test_bench_prints_a_line_per_recipe_and_the_ratios(sample_data):
    res = primer('bench', '--data', sample_data, '--seeds-epochs', 1, '--size', 48)
    assert res.returncode == 0, res.stderr
    rows = [json.loads(l) for l in res.stdout.strip().splitlines()[-9:]]
    seeds, fast, training, forward, process, pytorch, onnx, floor, ratios = rows
    assert [r['recipe'] for r in rows[:-1]] == ['seeds', 'fast', 'fast, training only', 'one forward pass', 'primer train (whole process)',
                                                'body pass, PyTorch', 'body pass, onnxruntime', 'process start + decoding']
    for row in (seeds, fast, training, process): assert 0 <= row['accuracy'] <= 1 and row['seconds'] > 0
    assert training['accuracy'] == fast['accuracy'] == process['accuracy']  # the same data and split, and the fast path is deterministic
    assert forward['accuracy'] is None and forward['seconds'] > 0
    assert pytorch['images'] == onnx['images'] == 80 and pytorch['image_size'] == process['image_size'] == 48
    assert ratios['speedup'] == round(seeds['seconds'] / fast['seconds'], 1)
    assert ratios['training_over_forward'] == round(training['seconds'] / forward['seconds'], 2)
    o, p = onnx['seconds'], pytorch['seconds']  # rounded to 0.01 s; the ratio is of the unrounded times
    assert (o - .005) / (p + .005) - .005 <= ratios['onnx_over_pytorch'] <= (o + .005) / max(p - .005, 1e-9) + .005
    assert ratios['whole_process_speedup'] > 0 and ratios['process_over_floor'] > 0
