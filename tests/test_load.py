"The load script's 8-user run against `primer app` (issue 13): every page opens, every upload gets a label, kernels stay light."
import json, os, subprocess, sys
from pathlib import Path
import pytest
from conftest import ROOT

@pytest.mark.skipif(not Path('/usr/bin/chromium').exists(), reason='needs Debian\'s Chromium: `make browser`')
def test_eight_users_at_once(trained, sample_data):
    res = subprocess.run([sys.executable, 'scripts/load_app.py', '--sessions', '8', '--uploads', '2', '--model', str(trained[0])],
                         cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, 'PRIMER_DATA_DIR': str(sample_data)})
    assert res.returncode == 0, res.stderr[-3000:]
    row = json.loads(res.stdout.strip().splitlines()[-1])
    assert row['pages_ready'] == 8 and row['failed_sessions'] == 0 and row['uploads'] == 16 and row['failed_uploads'] == 0, row
    assert row['memory_per_kernel_mb'] < 400, row  # a page's kernel without torch (with it: about 900 MB)
    assert row['server_memory_peak_gb'] < 6, row  # Voilà, 8 kernels and the model process together
