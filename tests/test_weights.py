"The offline ImageNet weights really load: a pretrained body recognises a photo, a random one does not."
import urllib.error
import pytest, torch
from fastai.vision.all import PILImage, Normalize, nn
from sklearn.datasets import load_sample_image
from primer_lib.train import imagenet_top
from primer_lib.training import efficientnet_lite0, load_weights_in_order, workshop_learner

BUILDINGS = {'church, church building', 'bell cote, bell cot', 'monastery', 'palace', 'stupa, tope', 'mosque', 'boathouse'}

@pytest.fixture(scope='module')
def temple(): return PILImage.create(load_sample_image('china.jpg'))

def test_pretrained_lite0_sees_a_building(temple):
    (top_class, p), *_ = imagenet_top(efficientnet_lite0(), temple)
    assert top_class in BUILDINGS and p > 0.2, (top_class, p)

def test_random_lite0_does_not(temple):
    torch.manual_seed(0)
    top = imagenet_top(efficientnet_lite0(pretrained=False), temple)
    assert not {c for c, _ in top} & BUILDINGS, top

def test_wrong_weights_fail_loudly():
    model = nn.Sequential(nn.Linear(2, 3))
    with pytest.raises(ValueError, match='has shape'): load_weights_in_order(model, {'a': torch.zeros(3, 3), 'b': torch.zeros(3)})
    with pytest.raises(ValueError, match='hold 1 tensors'): load_weights_in_order(model, {'a': torch.zeros(3, 2)})

def test_learner_normalises_with_imagenet_stats(sample_data):
    from primer_lib.data import workshop_dataloaders
    dls = workshop_dataloaders(sample_data, None, 32, 0.2, 0, 8)
    workshop_learner(dls, 'efficientnet_lite0')
    norms = [t for t in dls.after_batch if isinstance(t, Normalize)]
    assert len(norms) == 1 and torch.allclose(norms[0].mean.flatten().cpu(), torch.tensor([0.485, 0.456, 0.406]))

def test_resnet_without_network_names_the_offline_choice(sample_data, tmp_path, monkeypatch):
    from primer_lib.data import workshop_dataloaders
    def no_network(*args, **kwargs): raise urllib.error.URLError('no network here')
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    monkeypatch.setattr(torch.hub, 'download_url_to_file', no_network)
    dls = workshop_dataloaders(sample_data, None, 32, 0.2, 0, 8)
    with pytest.raises(RuntimeError, match='Use arch = efficientnet_lite0'): workshop_learner(dls, 'resnet18')
