__version__ = "0.1.0"

import warnings
# fastai 2.8's layers use torch.jit.script, which torch 2.14 deprecates at import: harmless, and alarming to a newcomer
warnings.filterwarnings('ignore', message='`torch.jit.script` is deprecated', category=FutureWarning)
