# All metadata lives in pyproject.toml. One build step of our own: the app's notebook, nbs/07_app.ipynb, goes into the
# package as primer_lib/app.ipynb, so that an installed primer[app] serves it from any folder (`primer app`).
from pathlib import Path
from setuptools import setup
from setuptools.command.build_py import build_py

APP = Path(__file__).parent/'nbs'/'07_app.ipynb'

class BuildWithApp(build_py):
    def run(self):
        super().run()
        if not self.editable_mode and APP.is_file():  # an editable install serves the checkout's own notebook
            self.copy_file(str(APP), str(Path(self.build_lib)/'primer_lib'/'app.ipynb'))

setup(cmdclass={'build_py': BuildWithApp})
