"README.md is nbs/index.ipynb rendered, and it gives the two commands that CI and newcomers run."
import re, subprocess, sys
from pathlib import Path
from conftest import ROOT

def test_readme_is_rendered_from_index():
    jupyter = Path(sys.executable).parent/'jupyter'
    rendered = subprocess.run([jupyter, 'nbconvert', '--to', 'markdown', '--stdout', '--log-level=ERROR', ROOT/'nbs'/'index.ipynb'],
                              capture_output=True, text=True, check=True).stdout
    assert (ROOT/'README.md').read_text() == rendered, "README.md is stale: run `make readme` and commit it."

def test_readme_gives_two_commands_and_ci_runs_the_test_one():
    blocks = re.findall(r'```sh\n(.*?)\n```', (ROOT/'README.md').read_text(), re.S)
    assert blocks[:2] == ['make workshop', 'make test']
    assert 'make test' in (ROOT/'.ci'/'run').read_text()
