"""Build romav2 2.0.1's RoMaV2 offline, with seeded random weights, as the parity reference.

romav2 loads DINOv3 through torch.hub from facebookresearch/dinov3 at commit adc2544 and its
own weights from a release URL; neither is reachable here. This module points torch.hub at a
local checkout of that commit (source="local") and skips the weight download, so the model
keeps its initialisation, which `randomise` then replaces with seeded values large enough
for every branch to matter (batch-norm statistics, layer scales, RoPE periods included).

Needs: pip install torch torchvision einops rich && pip install --no-deps romav2==2.0.1
DINOv3 checkout: $DINOV3_REPO, or `prepare_dinov3()` extracts it from a git mirror given
by $DINOV3_MIRROR (the `fetch` tool's github:facebookresearch/dinov3).
"""
import os
import subprocess
from contextlib import contextmanager
from unittest import mock

import torch

DINOV3_COMMIT = "adc254450203739c8149213a7a69d8d905b4fcfa"
DEFAULT_CHECKOUT = os.environ.get("DINOV3_REPO", "/work/cache/dinov3-adc2544")


def prepare_dinov3(checkout=DEFAULT_CHECKOUT, mirror=os.environ.get("DINOV3_MIRROR")):
    """The DINOv3 source tree at romav2's pinned commit, extracted once."""
    if os.path.exists(os.path.join(checkout, "hubconf.py")):
        return checkout
    if not mirror:
        raise SystemExit(f"no DINOv3 checkout at {checkout}; set DINOV3_REPO or DINOV3_MIRROR")
    os.makedirs(checkout, exist_ok=True)
    # The notebooks hold objects missing from partial mirrors; the model needs none of them.
    archive = subprocess.run(["git", f"--git-dir={mirror}", "archive", DINOV3_COMMIT, "hubconf.py", "dinov3"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "x", "-C", checkout], input=archive, check=True)
    return checkout


@contextmanager
def offline_hub(checkout=None):
    """torch.hub.load from the local DINOv3 checkout; no weight download anywhere."""
    checkout = prepare_dinov3(checkout or DEFAULT_CHECKOUT)
    real_load = torch.hub.load

    def local_load(repo_or_dir, model, *args, **kwargs):
        kwargs.pop("skip_validation", None)
        kwargs.pop("weights", None)
        kwargs["pretrained"] = False
        return real_load(checkout, model, *args, source="local", **kwargs)

    with mock.patch("torch.hub.load", local_load), \
            mock.patch("torch.hub.load_state_dict_from_url", lambda *a, **k: None):
        yield


def build(setting="precise", cfg=None, checkout=None):
    """RoMaV2 as romav2 constructs it, weights left at their initialisation."""
    from romav2.romav2 import RoMaV2
    real = RoMaV2.load_state_dict

    def skip_none(self, state, *a, **k):
        if state is None:
            return None
        return real(self, state, *a, **k)

    with offline_hub(checkout), mock.patch.object(RoMaV2, "load_state_dict", skip_none):
        base = cfg or RoMaV2.Cfg()
        cfg = type(base)(**{**base.__dict__, "setting": setting})
        model = RoMaV2(cfg)
    return model.eval()


def randomise(model, seed):
    """Seeded values for every parameter and buffer, scaled per fan-in so activations stay O(1)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in list(model.named_parameters()) + list(model.named_buffers()):
            if not p.is_floating_point():
                continue
            leaf = name.rsplit(".", 1)[-1]
            if "running_var" in name:
                p.copy_(torch.rand(p.shape, generator=gen) * 0.5 + 0.75)
            elif "running_mean" in name:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
            elif leaf in ("gamma",) or name.endswith("norm.weight") or ".bn" in name and leaf == "weight":
                p.copy_(torch.rand(p.shape, generator=gen) * 0.5 + 0.75)
            elif leaf == "bias":
                p.copy_(torch.randn(p.shape, generator=gen) * 0.05)
            elif p.dim() >= 2:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=gen) / fan_in ** 0.5)
            # other 1-d buffers (RoPE periods, omega, temperature, scale) keep their construction
    return model


def state_dict(model):
    """Everything a loader needs, contiguous, without bookkeeping counters."""
    return {k: v.contiguous() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}


REDUCED_LOW, REDUCED_HIGH = 64, 128


def reduced_model(seed, low=REDUCED_LOW, high=REDUCED_HIGH, bidirectional=True, threshold=None):
    """RoMaV2 composed of the module helpers' reduced builders (scripts/fixtures/
    make_roma2_{descriptor,matcher,refiner}_fixtures.py), each with its own seed offset,
    at low x low / high x high inputs (0 or None: no high-resolution pass), float32
    (every builder switches its enable_amp off; the DPT head's autocast has no switch:
    run it under `no_autocast()`)."""
    import sys
    import torch.nn as nn
    from romav2.romav2 import RoMaV2
    fixtures = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
    if fixtures not in sys.path:
        sys.path.insert(0, fixtures)
    from make_roma2_descriptor_fixtures import reduced_descriptor
    from make_roma2_matcher_fixtures import reduced_matcher
    from make_roma2_refiner_fixtures import reduced_fine_features, reduced_refiners

    model = RoMaV2.__new__(RoMaV2)
    nn.Module.__init__(model)
    model.f = reduced_descriptor(seed)
    model.matcher = reduced_matcher(seed + 1)
    model.refiners = reduced_refiners(seed + 2)
    model.refiner_features = reduced_fine_features(seed + 3)
    model.cfg = RoMaV2.Cfg()
    model.anchor_width, model.anchor_height = model.cfg.anchor_width, model.cfg.anchor_height
    model.name = "RoMa v2 (reduced)"
    model.apply_setting("precise")
    model.H_lr = model.W_lr = low
    model.H_hr = model.W_hr = high or None
    model.bidirectional = bidirectional
    model.threshold = threshold
    return model.eval()


@contextmanager
def no_autocast():
    """Every torch.autocast inside romav2 disabled (the DPT head's has no switch of its own)."""
    real = torch.autocast

    class Off(real):
        def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
            super().__init__(device_type, dtype=dtype, enabled=False, cache_enabled=cache_enabled)

    with mock.patch("torch.autocast", Off):
        yield


if __name__ == "__main__":
    torch.manual_seed(0)
    m = randomise(build("turbo"), 0)
    n = sum(v.numel() for v in m.state_dict().values())
    print("RoMaV2 built offline:", n, "values,", len(m.state_dict()), "tensors")
