"The Dockerfile and Binder's environment: lean, non-root, and running commands that `primer` has"
import re, shlex
from pathlib import Path
from primer_lib.cli import make_parser

ROOT = Path(__file__).resolve().parents[1]

def primer_lines(text):
    "The `primer ...` commands in `text` (shell lines, Dockerfile RUN/CMD lines)"
    found = [m.group(0) for m in re.finditer(r'primer [a-z][^&|;)\n"]*', text)]
    cmd = re.search(r'^CMD (\[.*\])', text, re.M)
    if cmd: found.append(' '.join(eval(cmd.group(1))))
    return [f for f in found if not f.startswith('primer-')]

def test_dockerfile_runs_as_uid_1000():
    text = (ROOT/'Dockerfile').read_text()
    user = re.search(r'^USER (\S+)', text, re.M)
    assert user and re.search(rf'useradd .*--uid 1000 {user.group(1)}', text), 'a Docker Space runs the container as uid 1000'
    assert text.index('USER') < text.index('COPY') and '--chown=user' in text, 'the app folder must belong to that user'
    assert 'download.pytorch.org/whl/cpu' in text and '[dev]' not in text

def test_binder_is_lean():
    reqs = (ROOT/'binder'/'requirements.txt').read_text()
    assert 'download.pytorch.org/whl/cpu' in reqs and '.[app]' in reqs
    for heavy in ('[dev]', 'requirements-dev', 'nbdev', 'playwright', 'cu1'): assert heavy not in reqs

def test_deploy_commands_parse():
    lines = primer_lines((ROOT/'Dockerfile').read_text()) + primer_lines((ROOT/'binder'/'postBuild').read_text())
    assert len(lines) >= 4, lines
    for line in lines: make_parser().parse_args(shlex.split(line)[1:])  # argparse exits on an unknown command or flag
