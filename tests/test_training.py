"""The networks, the priors and the three training phases."""

import copy
import math

import pytest
import torch
from torch.nn import functional as F

from ssaae import training
from ssaae.networks import AAEConfig, AdversarialAutoencoder
from ssaae.priors import sample_categorical, sample_gaussian
from ssaae.training import (
    MIN_STEPS,
    TrainingConfig,
    autocast,
    consistency_phase,
    epoch_batches,
    imbalance,
    learning_rate_factor,
    make_optimizers,
    mutual_information_loss,
    neighbor_radii,
    reconstruction_phase,
    regularization_phase,
    resolve_device,
    resolve_precision,
    semi_supervised_phase,
    set_learning_rates,
    train,
    train_epoch,
    typical_radius,
    virtual_adversarial_loss,
)

N_FEATURES, N_CLASSES, STYLE_DIM = 12, 3, 4
AMP = autocast(torch.device("cpu"), "fp32")


@pytest.fixture
def model():
    torch.manual_seed(0)
    return AdversarialAutoencoder(AAEConfig(N_FEATURES, N_CLASSES, STYLE_DIM, (16, 8), (8,)))


@pytest.fixture
def optimizers(model):
    return make_optimizers(model, TrainingConfig())


def snapshot(module):
    return {name: p.detach().clone() for name, p in module.named_parameters()}


def changed_parts(model, before):
    """Top-level submodules (encoder, class_head, ...) whose parameters moved."""
    return {name.split(".")[0] for name, p in model.named_parameters() if not torch.equal(p, before[name])}


def test_networks_have_the_configured_shapes(model):
    class_logits, style = model.encode(torch.rand(5, N_FEATURES))
    assert class_logits.shape == (5, N_CLASSES)
    assert style.shape == (5, STYLE_DIM)
    assert model.decode(class_logits.softmax(1), style).shape == (5, N_FEATURES)
    assert model.class_discriminator(torch.rand(5, N_CLASSES)).shape == (5, 1)
    assert model.style_discriminator(torch.rand(5, STYLE_DIM)).shape == (5, 1)


def test_batch_norm_normalizes_each_encoder_layer_by_batch_in_training_only():
    torch.manual_seed(0)
    model = AdversarialAutoencoder(AAEConfig(N_FEATURES, N_CLASSES, STYLE_DIM, (16, 8), (8,), batch_norm=True))
    assert sum(isinstance(layer, torch.nn.BatchNorm1d) for layer in model.encoder) == 2
    x = torch.rand(6, N_FEATURES)
    model.train()
    assert not torch.allclose(model.encode(x[:2])[0], model.encode(x)[0][:2])
    model.eval()  # the running statistics: a row's output does not depend on its batch
    assert torch.allclose(model.encode(x[:2])[0], model.encode(x)[0][:2])


def test_train_epoch_with_batch_norm_folds_a_last_batch_of_one_row_into_the_one_before():
    torch.manual_seed(0)
    model = AdversarialAutoencoder(AAEConfig(N_FEATURES, N_CLASSES, STYLE_DIM, (16,), (8,), batch_norm=True))
    X = torch.rand(41, N_FEATURES).round()  # batches of 20, 20 and 1
    history = train_epoch(model, make_optimizers(model, TrainingConfig()), X, X[:6], torch.arange(6) % 3,
                          TrainingConfig(batch_size=20), torch.Generator().manual_seed(0))
    assert set(history) == {"reconstruction", "discriminator", "generator", "semi_supervised"}


def test_categorical_prior_draws_one_hot_rows_of_every_class():
    draws = sample_categorical(3000, 3, torch.Generator().manual_seed(0), "cpu")
    assert set(draws.sum(1).tolist()) == {1.0}
    assert set(draws.unique().tolist()) == {0.0, 1.0}
    counts = draws.sum(0)
    assert torch.all((counts > 900) & (counts < 1100))


def test_gaussian_prior_draws_standard_normal_rows():
    draws = sample_gaussian(20000, 4, torch.Generator().manual_seed(0), "cpu")
    assert draws.shape == (20000, 4)
    assert draws.mean(0).abs().max() < 0.03
    assert (draws.std(0) - 1).abs().max() < 0.03


def test_reconstruction_phase_moves_only_encoder_and_decoder(model, optimizers):
    before = snapshot(model)
    x = torch.rand(8, N_FEATURES)
    reconstruction_phase(model, optimizers["reconstruction"], x, x, AMP)
    assert changed_parts(model, before) == {"encoder", "class_head", "style_head", "decoder"}


def test_regularization_phase_moves_discriminators_and_encoder_not_decoder(model, optimizers):
    x = torch.rand(8, N_FEATURES)
    _, class_probs, style = reconstruction_phase(model, optimizers["reconstruction"], x, x, AMP)
    before = snapshot(model)
    regularization_phase(model, optimizers["discriminator"], optimizers["generator"], x, class_probs, style,
                         torch.Generator().manual_seed(0), AMP)
    assert changed_parts(model, before) == {
        "encoder", "class_head", "style_head", "class_discriminator", "style_discriminator"
    }


def test_discriminator_step_alone_moves_only_discriminators(model, optimizers):
    """The encoder's adversarial step must not update the discriminators, and vice versa."""
    x = torch.rand(8, N_FEATURES)
    _, class_probs, style = reconstruction_phase(model, optimizers["reconstruction"], x, x, AMP)
    before = snapshot(model)
    optimizers["generator"].step = lambda: None  # keep the encoder's step out to see the rest
    regularization_phase(model, optimizers["discriminator"], optimizers["generator"], x, class_probs, style,
                         torch.Generator().manual_seed(0), AMP)
    assert changed_parts(model, before) == {"class_discriminator", "style_discriminator"}
    assert all(p.requires_grad for p in model.parameters())


def test_semi_supervised_phase_moves_only_encoder_trunk_and_class_head(model, optimizers):
    before = snapshot(model)
    semi_supervised_phase(model, optimizers["semi_supervised"], torch.rand(8, N_FEATURES),
                          torch.tensor([0, 1, 2, 0, 1, 2, 0, 1]), AMP)
    assert changed_parts(model, before) == {"encoder", "class_head"}


def test_semi_supervised_phase_learns_the_labels(model, optimizers):
    x, labels = torch.rand(6, N_FEATURES), torch.tensor([0, 1, 2, 0, 1, 2])
    first = semi_supervised_phase(model, optimizers["semi_supervised"], x, labels, AMP)
    for _ in range(400):
        last = semi_supervised_phase(model, optimizers["semi_supervised"], x, labels, AMP)
    assert last < first / 10


def test_train_epoch_reports_each_phase_and_lowers_reconstruction_loss(model, optimizers):
    X = torch.rand(400, N_FEATURES).round()
    config = TrainingConfig(batch_size=50, labeled_batch_size=10)
    generator = torch.Generator().manual_seed(0)
    history = [train_epoch(model, optimizers, X, X[:9], torch.arange(9) % 3, config, generator) for _ in range(5)]
    assert set(history[0]) == {"reconstruction", "discriminator", "generator", "semi_supervised"}
    assert history[-1]["reconstruction"] < history[0]["reconstruction"]


def test_precision_auto_picks_fp32_without_native_bf16(monkeypatch):
    monkeypatch.setattr("ssaae.training.native_bf16", lambda device: False)
    assert resolve_precision("auto", torch.device("cpu")) == "fp32"
    monkeypatch.setattr("ssaae.training.native_bf16", lambda device: True)
    assert resolve_precision("auto", torch.device("cpu")) == "bf16"
    assert resolve_precision("fp32", torch.device("cpu")) == "fp32"


@pytest.mark.parametrize(("device", "message"), [
    ("tpu", "not a torch device"),
    ("cuda:7", "not available on this machine"),
    ("meta:0", "not available on this machine"),
])
def test_resolve_device_refuses_unknown_and_absent_devices(device, message):
    with pytest.raises(ValueError, match=message):
        resolve_device(device)


def test_train_runs_the_epochs_with_their_learning_rates_and_consistency_weights(model, monkeypatch):
    seen = []

    def epoch(model, optimizers, X, X_labeled, labels, config, generator, unlabeled, radii):
        seen.append((optimizers["reconstruction"].param_groups[0]["lr"], config.consistency_weight))
        return {"reconstruction": 0.0}

    monkeypatch.setattr("ssaae.training.train_epoch", epoch)
    calls = []
    config = TrainingConfig(epochs=4, reconstruction_lr=1.0, learning_rate_decay=0.5, consistency_weight=8.0,
                            consistency_rampup=2)
    history = train(model, torch.rand(10, N_FEATURES), config, torch.Generator(),
                    callback=lambda epoch, losses: calls.append(epoch))
    assert seen == pytest.approx([(1, 4), (1, 8), (2 / 3, 8), (1 / 3, 8)])
    assert calls == [0, 1, 2, 3] and [record["reconstruction"] for record in history] == [0.0] * 4
    seconds = [record["seconds"] for record in history]
    assert seconds == sorted(seconds) and seconds[0] > 0


def test_train_stops_when_the_callback_says_so(model):
    config = TrainingConfig(epochs=5, batch_size=50)
    history = train(model, torch.rand(100, N_FEATURES).round(), config, torch.Generator(),
                    callback=lambda epoch, record: epoch == 1)
    assert len(history) == 2


def test_sgd_uses_the_papers_momentum_per_phase(model):
    optimizers = make_optimizers(model, TrainingConfig(optimizer="sgd", reconstruction_lr=0.01, regularization_lr=0.1,
                                                       semi_supervised_lr=0.1))
    settings = {name: (type(o).__name__, o.defaults["lr"], o.defaults["momentum"]) for name, o in optimizers.items()}
    assert settings == {
        "reconstruction": ("SGD", 0.01, 0.9),
        "discriminator": ("SGD", 0.1, 0.1),
        "generator": ("SGD", 0.1, 0.1),
        "semi_supervised": ("SGD", 0.1, 0.9),
    }


def test_set_learning_rates_scales_every_phase_from_its_initial_rate(model, optimizers):
    initial = {name: o.param_groups[0]["lr"] for name, o in optimizers.items()}
    set_learning_rates(optimizers, 0.1)
    set_learning_rates(optimizers, 0.5)  # from the initial rates, not compounded
    assert {name: o.param_groups[0]["lr"] for name, o in optimizers.items()} == pytest.approx(
        {name: lr / 2 for name, lr in initial.items()})


@pytest.mark.parametrize(("drops", "decay", "factors"), [
    ((), 0.0, [1, 1, 1, 1]),
    ((1, 3, 50), 0.0, [1, 0.1, 0.1, 0.01]),
    ((), 0.5, [1, 1, 2 / 3, 1 / 3]),
    ((2,), 1.0, [0.8, 0.6, 0.04, 0.02]),
])
def test_learning_rate_factor_drops_tenfold_and_falls_linearly_at_the_end(drops, decay, factors):
    assert [learning_rate_factor(epoch, 4, drops, decay) for epoch in range(4)] == pytest.approx(factors)


def test_train_epoch_without_unlabeled_rows_moves_only_the_classifier(model, optimizers):
    X = torch.rand(400, N_FEATURES).round()
    before = snapshot(model)
    history = train_epoch(model, optimizers, X, X[:9], torch.arange(9) % 3, TrainingConfig(batch_size=50),
                          torch.Generator().manual_seed(0), unlabeled=None)
    assert set(history) == {"semi_supervised"}
    assert changed_parts(model, before) == {"encoder", "class_head"}


def test_virtual_adversarial_change_moves_predictions_more_than_a_random_change_as_long(model):
    x = torch.rand(64, N_FEATURES)
    adversarial = virtual_adversarial_loss(model, x, 0.5, torch.Generator().manual_seed(0))
    with torch.no_grad():
        target = model.encode(x)[0].softmax(dim=1)
        change = 0.5 * F.normalize(torch.randn(x.shape, generator=torch.Generator().manual_seed(1)), dim=1)
        random = F.kl_div(model.encode(x + change)[0].log_softmax(dim=1), target, reduction="batchmean")
    assert adversarial > 2 * random > 0
    adversarial.backward()
    assert model.class_head.weight.grad.abs().sum() > 0  # the consistency term trains the class head


def test_a_long_probe_finds_the_direction_sensitive_at_its_distance_not_at_the_row():
    """q(y|x) of one input is flat near 0 and steep at 5: a tiny probe finds no direction there,
    so the change of length 5 moves q(y|x) by chance; a probe of length 5 finds the steep side."""
    model = AdversarialAutoencoder(AAEConfig(2, 2, 1, (4,), (4,)))
    model.encode = lambda x: (torch.stack([torch.zeros(len(x)), 10 * F.relu(x[:, 0] - 4)], 1), x[:, :1])
    x = torch.zeros(64, 2)

    def loss(probe_length):
        return virtual_adversarial_loss(model, x, 5.0, torch.Generator().manual_seed(0), probe_length).item()

    assert loss(5.0) > 0.5 > loss(1e-6)


def test_virtual_adversarial_change_is_found_as_well_in_bf16_as_in_fp32(model):
    """bf16 rounds a tiny power-iteration probe away; the change found must still be adversarial."""
    x = torch.rand(256, N_FEATURES)
    losses = {}
    for precision in ("fp32", "bf16"):
        with autocast(torch.device("cpu"), precision):
            losses[precision] = virtual_adversarial_loss(model, x, 0.5, torch.Generator().manual_seed(0)).item()
    assert losses["bf16"] > 0.8 * losses["fp32"] > 0


def test_neighbor_radii_are_a_quarter_of_the_distance_to_the_tenth_nearest_other_row():
    X = torch.rand(300, N_FEATURES)
    distances = torch.cdist(X.double(), X.double()).sort(dim=1).values[:, 10]  # column 0: the row itself
    assert torch.allclose(neighbor_radii(X, batch_size=64).double(), 0.25 * distances, atol=1e-5)


def test_typical_radius_is_the_scaled_median_of_sampled_rows_tenth_neighbour_distances():
    X = torch.rand(300, N_FEATURES)
    distances = torch.cdist(X.double(), X.double()).sort(dim=1).values[:, 10]
    assert typical_radius(X) == pytest.approx(0.38 * float(distances.median()), rel=1e-5)  # all rows, 300 < 1000
    every_third = distances[torch.linspace(0, 299, 100).long()]
    assert typical_radius(X, rows=100, batch_size=7) == pytest.approx(0.38 * float(every_third.median()), rel=1e-5)


def test_virtual_adversarial_radius_can_differ_by_row(model):
    x = torch.rand(8, N_FEATURES)

    def loss(radius):
        return virtual_adversarial_loss(model, x, radius, torch.Generator().manual_seed(0)).item()

    assert loss(torch.full((8, 1), 0.5)) == pytest.approx(loss(0.5), rel=1e-5)
    assert 0 < loss(torch.tensor([[0.5]] * 4 + [[0.0]] * 4)) < loss(0.5)  # only half the rows are perturbed
    assert loss(torch.zeros(8, 1)) == pytest.approx(0, abs=1e-7)


@pytest.mark.parametrize("unlabeled", ["aae", "consistency"])
def test_neighbors_radius_trains_each_row_with_its_own(unlabeled):
    """Rows that each have 10 copies are 0 away from their 10th neighbour: "neighbors" trains them
    as radius 0 does, not as the fixed radius."""
    X = torch.rand(20, N_FEATURES).round().repeat(11, 1)
    histories = {}
    for radius in ("neighbors", 0.0, 2.0):
        torch.manual_seed(0)
        model = AdversarialAutoencoder(AAEConfig(N_FEATURES, N_CLASSES, STYLE_DIM, (16,), (8,)))
        config = TrainingConfig(epochs=2, batch_size=55, consistency_weight=10.0, consistency_radius=radius)
        histories[radius] = train(model, X, config, torch.Generator().manual_seed(0), unlabeled=unlabeled)
    losses = {radius: [{k: v for k, v in record.items() if k != "seconds"} for record in history]
              for radius, history in histories.items()}
    assert losses["neighbors"] == losses[0.0] != losses[2.0]


def test_auto_radius_trains_as_the_typical_radius_of_the_rows():
    X = torch.rand(200, N_FEATURES)

    def losses(radius):
        torch.manual_seed(0)
        model = AdversarialAutoencoder(AAEConfig(N_FEATURES, N_CLASSES, STYLE_DIM, (16,), (8,)))
        config = TrainingConfig(epochs=2, batch_size=50, consistency_weight=10.0, consistency_radius=radius)
        history = train(model, X, config, torch.Generator().manual_seed(0))
        return [{k: v for k, v in record.items() if k != "seconds"} for record in history]

    assert losses("auto") == losses(typical_radius(X)) != losses(2.0)


def test_imbalance_is_zero_for_equal_use_and_log_k_when_one_category_takes_all():
    assert float(imbalance(torch.eye(4))) == pytest.approx(0, abs=1e-6)
    assert float(imbalance(torch.eye(4)[[2, 2, 2]])) == pytest.approx(math.log(4), abs=1e-5)


def test_virtual_adversarial_passes_leave_batch_norm_running_averages_to_the_real_rows():
    """Only the clean pass that makes q(y|x)'s target moves the running averages; the probe and
    the perturbed rows, which prediction never sees, do not."""
    torch.manual_seed(0)
    model = AdversarialAutoencoder(AAEConfig(N_FEATURES, N_CLASSES, STYLE_DIM, (16, 8), (8,), batch_norm=True))
    x = torch.rand(32, N_FEATURES)
    clean_only = copy.deepcopy(model)
    with torch.no_grad():
        clean_only.encode(x)
    virtual_adversarial_loss(model, x, 5.0, torch.Generator().manual_seed(0))
    for (name, buffer), expected in zip(model.named_buffers(), clean_only.buffers()):
        if "running" in name:
            torch.testing.assert_close(buffer, expected, msg=name)
    assert model.encoder[1].momentum == 0.1  # restored afterwards


def test_mutual_information_weight_adds_its_term_to_the_reconstruction_loss(model):
    x = torch.rand(16, N_FEATURES)
    x_noisy = x + 0.1 * torch.randn(16, N_FEATURES)

    def loss(weight):
        copy_ = copy.deepcopy(model)
        config = TrainingConfig(consistency_weight=0, mutual_information_weight=weight)
        return reconstruction_phase(copy_, make_optimizers(copy_, config)["reconstruction"], x_noisy, x, AMP,
                                    config)[0]

    with torch.no_grad():
        term = mutual_information_loss(model.encode(x_noisy)[0])
    torch.testing.assert_close(loss(3.0) - loss(0.0), 3.0 * term)


def test_consistency_phase_adds_the_mutual_information_term_of_the_clean_rows(model):
    x = torch.rand(16, N_FEATURES)

    def loss(weight):
        copy_ = copy.deepcopy(model)
        config = TrainingConfig(consistency_weight=2.0, mutual_information_weight=weight, consistency_lr=1e-3)
        return consistency_phase(copy_, make_optimizers(copy_, config)["consistency"], x, AMP, config,
                                 torch.Generator().manual_seed(0), 1.0)

    with torch.no_grad():
        term = mutual_information_loss(model.encode(x)[0])
    torch.testing.assert_close(loss(3.0) - loss(0.0), 3.0 * term)


def test_consistency_lr_moves_the_terms_out_of_reconstruction_into_a_phase_of_their_own(model, monkeypatch):
    """With ``consistency_lr`` the reconstruction phase gets no consistency or mutual information
    term, and a fourth phase with an optimizer of its own, at that rate over the encoder and class
    head, trains them."""
    config = TrainingConfig(consistency_weight=5.0, mutual_information_weight=1.0, consistency_lr=3e-3)
    optimizers = make_optimizers(model, config)
    group = optimizers["consistency"].param_groups[0]
    assert group["lr"] == 3e-3
    assert [id(p) for p in group["params"]] == [id(p) for p in model.classifier_parameters()]

    reconstruction_configs = []
    original = training.reconstruction_phase
    monkeypatch.setattr(training, "reconstruction_phase",
                        lambda *args: reconstruction_configs.append(args[5]) or original(*args))
    losses = train_epoch(model, optimizers, torch.rand(64, N_FEATURES), None, None, config,
                         torch.Generator().manual_seed(0))
    assert list(losses) == ["reconstruction", "discriminator", "generator", "consistency"]
    assert reconstruction_configs and set(reconstruction_configs) == {None}

    before = snapshot(model)
    consistency_phase(model, optimizers["consistency"], torch.rand(16, N_FEATURES), AMP, config,
                      torch.Generator().manual_seed(0), 1.0)
    assert changed_parts(model, before) == {"encoder", "class_head"}


def test_mutual_information_loss_is_conditional_entropy_plus_four_times_the_imbalance():
    logits = torch.randn(8, 5)
    probs = logits.softmax(1)
    conditional_entropy = -(probs * probs.log()).sum(1).mean()
    torch.testing.assert_close(mutual_information_loss(logits), conditional_entropy + 4 * imbalance(probs))


@pytest.mark.parametrize("n_rows, batch_size, passes", [(1000, 50, 1), (1000, 7, 1), (90, 32, 8), (5, 2, 8)])
def test_an_epoch_goes_over_the_rows_as_often_as_makes_twenty_minibatches(n_rows, batch_size, passes):
    batches = epoch_batches(n_rows, batch_size, torch.Generator().manual_seed(0), "cpu")
    assert len(batches) >= MIN_STEPS and min(len(batch) for batch in batches) >= 2
    assert torch.cat(batches).bincount(minlength=n_rows).tolist() == [passes] * n_rows


def test_an_epoch_of_many_rows_is_one_permutation_of_them():
    """Data of 20 minibatches or more train as before epoch_batches: the same draws."""
    batches = epoch_batches(1000, 50, torch.Generator().manual_seed(0), "cpu")
    assert torch.equal(torch.cat(batches), torch.randperm(1000, generator=torch.Generator().manual_seed(0)))
