"""The three training phases of a semi-supervised AAE, the epoch that interleaves them and the
whole training run (:func:`train`) with its schedules.

Per minibatch of unlabeled rows: (1) reconstruction, (2) regularization (discriminators, then the
encoder as their adversary), (3) semi-supervised cross-entropy on a minibatch of labeled rows.
Each phase steps only the optimizer of the parameters it owns. Nothing here knows scikit-learn.

Inside a :mod:`torch.distributed` process group each process trains on its own rows, and every
step averages the gradients over the processes (all-reduce), so that all keep the same weights;
after each epoch batch normalization's running averages are the first process's everywhere.
"""

import math
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace

import torch
from torch import distributed, nn
from torch.nn import functional as F
from torch.profiler import record_function

from .priors import sample_categorical, sample_gaussian

PHASES = ("reconstruction", "discriminator", "generator", "semi_supervised")
MIN_STEPS = 20  # minibatches an epoch has at least


@dataclass
class TrainingConfig:
    """How the networks are trained; the estimators document each field as a parameter."""

    epochs: int = 100
    batch_size: int = 100
    labeled_batch_size: int = 100
    reconstruction_lr: float = 1e-3
    regularization_lr: float = 2e-4
    semi_supervised_lr: float = 1e-3
    input_noise: float = 0.3
    precision: str = "fp32"
    optimizer: str = "adam"
    consistency_weight: float = 1.0  # the estimators pass their own defaults
    consistency_radius: float | str = 2.0  # or "neighbors": neighbor_radii; "auto": typical_radius
    consistency_rampup: int = 0
    consistency_ramp: str = "linear"
    balance_weight: float = 0.0
    mutual_information_weight: float = 0.0
    consistency_probe: float = 1e-6
    consistency_lr: float | None = None  # None: the consistency and mutual information terms join reconstruction
    consistency_warmup: int = 0  # first epochs of an "aae" run that train the consistency phase alone
    learning_rate_drops: tuple = ()
    learning_rate_decay: float = 0.0


def resolve_device(device):
    """``"auto"`` is the accelerator when there is one, else the CPU; a ValueError for a device
    that is unknown or not on this machine.

    >>> resolve_device("tpu")
    Traceback (most recent call last):
    ...
    ValueError: device 'tpu' is not a torch device (such as 'cpu', 'cuda' or 'cuda:1') or 'auto'
    """
    if device == "auto":
        accelerator = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else None
        return accelerator or torch.device("cpu")
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device {device!r} is not a torch device (such as 'cpu', 'cuda' or 'cuda:1') or 'auto'")
    if device.type != "cpu":
        module = getattr(torch, device.type, None)
        count = module.device_count() if module is not None and module.is_available() else 0
        if (device.index or 0) >= count:
            raise ValueError(f"device {str(device)!r} is not available on this machine ({count} found)")
    return device


def available_memory(device):
    """Bytes free for new tensors on ``device``: free GPU memory, or the memory Linux reports
    available; None where that is unknown."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    if device.type == "cpu":
        try:
            with open("/proc/meminfo") as meminfo:
                for line in meminfo:
                    if line.startswith("MemAvailable:"):
                        return int(line.split()[1]) * 1024
        except OSError:
            pass
    return None


def native_bf16(device):
    """Whether ``device`` multiplies bf16 matrices in hardware; elsewhere bf16 is emulated and
    many times slower than fp32."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        capability = torch._C._cpu._get_cpu_capability()  # no public API tells AMX/AVX512-BF16 yet
        return capability.get("amx_bf16", False) or capability.get("avx512_bf16", False)
    return False


def resolve_precision(precision, device):
    """``"auto"`` is bf16 where the hardware has it, else fp32."""
    if precision == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    return precision


def autocast(device, precision):
    """The mixed-precision context for forward passes; ``"fp32"`` turns it off."""
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


def make_optimizers(model, config):
    """One optimizer per phase, each over the parameters that phase owns: Adam, or the paper's SGD
    (momentum 0.9 for reconstruction and classification, 0.1 for the adversarial steps); with a
    ``config.consistency_lr``, one more for :func:`consistency_phase` over the encoder and class head."""
    phases = {
        "reconstruction": ([*model.encoder_parameters(), *model.decoder.parameters()], config.reconstruction_lr),
        "discriminator": (model.discriminator_parameters(), config.regularization_lr),
        "generator": (model.encoder_parameters(), config.regularization_lr),
        "semi_supervised": (model.classifier_parameters(), config.semi_supervised_lr),
    }
    if config.consistency_lr is not None:
        phases["consistency"] = (model.classifier_parameters(), config.consistency_lr)
    optimizers = {}
    for name, (parameters, lr) in phases.items():
        adversarial = name in ("discriminator", "generator")
        # fused: one kernel per step instead of a Python loop over the tensors
        if config.optimizer == "sgd":
            optimizers[name] = torch.optim.SGD(parameters, lr=lr, momentum=0.1 if adversarial else 0.9, fused=True)
        else:
            optimizers[name] = torch.optim.Adam(parameters, lr=lr, betas=(0.5 if adversarial else 0.9, 0.999),
                                                fused=True)
    return optimizers


def learning_rate_factor(epoch, n_epochs, drops=(), decay=0.0):
    """The learning rates of ``epoch`` (counted from 0) as a fraction of the initial ones: divided
    by 10 at each epoch of ``drops`` passed (the paper's schedule) and, over the last ``decay``
    fraction of the ``n_epochs``, falling linearly towards 0.

    >>> [round(learning_rate_factor(epoch, 10, decay=0.5), 2) for epoch in range(10)]
    [1.0, 1.0, 1.0, 1.0, 1.0, 0.83, 0.67, 0.5, 0.33, 0.17]
    >>> [round(learning_rate_factor(epoch, 4, drops=(1, 3)), 3) for epoch in range(4)]
    [1.0, 0.1, 0.1, 0.01]
    """
    fall = min(1.0, (n_epochs - epoch) / (round(decay * n_epochs) + 1))
    return 0.1 ** sum(epoch >= drop for drop in drops) * fall


def consistency_factor(epoch, rampup, ramp="linear"):
    """The consistency weight of ``epoch`` (counted from 0) as a fraction of the full one: rising
    over the first ``rampup`` epochs, so that the labels shape the classes before the term holds
    them steady. ``ramp`` is the shape of the rise: ``"linear"``, or ``"sigmoid"``, the
    ``exp(-5 (1 - t)^2)`` of temporal ensembling (Laine and Aila 2017), which starts far lower.

    >>> [round(consistency_factor(epoch, 3), 2) for epoch in range(4)], consistency_factor(0, 0)
    ([0.33, 0.67, 1.0, 1.0], 1.0)
    >>> [round(consistency_factor(epoch, 3, "sigmoid"), 2) for epoch in range(4)]
    [0.11, 0.57, 1.0, 1.0]
    """
    rise = min(1.0, (epoch + 1) / rampup) if rampup else 1.0
    return rise if ramp == "linear" else math.exp(-5 * (1 - rise) ** 2)


def set_learning_rates(optimizers, factor):
    """Every phase's learning rate set to ``factor`` times its initial value."""
    for optimizer in optimizers.values():
        for group in optimizer.param_groups:
            group["lr"] = group.setdefault("initial_lr", group["lr"]) * factor


def world_size():
    """How many processes train one model together (:mod:`torch.distributed`); 1 outside a process group."""
    return distributed.get_world_size() if distributed.is_available() and distributed.is_initialized() else 1


def _step(optimizer, loss):
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if world_size() > 1:  # data parallel: every process steps with the gradient averaged over all
        gradients = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        flat = torch.cat([gradient.flatten() for gradient in gradients])
        distributed.all_reduce(flat)
        flat /= world_size()
        for gradient, average in zip(gradients, flat.split([gradient.numel() for gradient in gradients])):
            gradient.copy_(average.view_as(gradient))
    optimizer.step()


def reconstruction_errors(model, output, target):
    """Each row's reconstruction loss: binary cross-entropy summed over the features (``output``
    holds logits), or squared error for real-valued features."""
    if model.config.binary_features:
        return F.binary_cross_entropy_with_logits(output.float(), target, reduction="none").sum(1)
    return F.mse_loss(output.float(), target, reduction="none").sum(1)


@contextmanager
def frozen_running_statistics(model):
    """Batch normalization inside normalizes by each batch's statistics as in training, but leaves
    its running averages, which prediction uses, as they are (momentum 0)."""
    layers = [module for module in model.modules() if isinstance(module, nn.BatchNorm1d)]
    momenta = [layer.momentum for layer in layers]
    for layer in layers:
        layer.momentum = 0.0
    try:
        yield
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum


def virtual_adversarial_loss(model, x, radius, generator, probe_length=1e-6):
    """How much q(y|x) changes under the input change of length ``radius`` it is most sensitive
    to: KL(q(y|x) || q(y|x + r)), r found by one power iteration from a random direction of
    length ``probe_length`` (virtual adversarial training, Miyato et al. 2018). A long probe (IMSAT
    takes 10 on pixels in [-1, 1]) finds the direction that moves q(y|x) most at that distance,
    not at the row itself. q(y|x) is the target and gets no gradient; the
    perturbed rows leave batch normalization's running averages alone, as in VAT and IMSAT, so
    that prediction normalizes by the statistics of real rows.

    The power iteration runs in fp32 whatever the autocast around it: bf16 rounds its 1e-6 probe
    away (``x + probe == x`` in an 8-bit mantissa) and then finds a direction that moves q(y|x)
    far less."""

    def divergence(change):
        with frozen_running_statistics(model):
            logits = model.encode(x + change)[0].float()
        return F.kl_div(logits.log_softmax(dim=1), target, reduction="batchmean")

    with torch.autocast(x.device.type, enabled=False):
        with torch.no_grad():
            target = model.encode(x)[0].softmax(dim=1)
        probe = probe_length * F.normalize(torch.randn(x.shape, generator=generator, device=x.device), dim=1)
        (gradient,) = torch.autograd.grad(divergence(probe.requires_grad_()), probe)
    return divergence(radius * F.normalize(gradient, dim=1))


def kth_neighbor_distances(queries, X, neighbors=10, batch_size=4096):
    """Each of the ``queries``, rows of ``X``, its distance to its ``neighbors``-th nearest other
    row of ``X``. Exact, in fp32, ``batch_size`` rows of ``X`` at a time, so that ``X`` may be rows
    read from a memory-mapped file (anything with ``len`` and rows by a tensor of indices).

    >>> kth_neighbor_distances(torch.tensor([[0.0], [3.0]]), torch.tensor([[0.0], [1.0], [3.0]]), neighbors=1)
    tensor([1., 2.])
    """
    queries = queries.float()
    nearest = torch.empty(len(queries), 0, device=queries.device)
    with torch.autocast(queries.device.type, enabled=False):
        for start in range(0, len(X), batch_size):
            chunk = X[torch.arange(start, min(start + batch_size, len(X)), device=queries.device)].float()
            nearest = torch.cat([nearest, torch.cdist(queries, chunk)], dim=1)
            # the row itself is among the neighbors + 1 nearest, at distance 0
            nearest = nearest.topk(min(neighbors + 1, nearest.shape[1]), largest=False).values
    return nearest[:, -1]


def neighbor_radii(X, neighbors=10, scale=0.25, batch_size=1024):
    """``scale`` times each row's distance to its ``neighbors``-th nearest other row of ``X``: the
    per-row consistency radius of IMSAT (Hu et al. 2017), small where the rows are dense.
    :func:`kth_neighbor_distances` of ``batch_size`` rows at a time.

    >>> neighbor_radii(torch.tensor([[0.0], [1.0], [3.0]]), neighbors=1, scale=1.0)
    tensor([1., 1., 2.])
    """
    batches = torch.arange(len(X), device=X.device).split(batch_size)
    return scale * torch.cat([kth_neighbor_distances(X[rows], X, neighbors) for rows in batches])


def typical_radius(X, neighbors=10, scale=0.38, rows=1000, batch_size=4096):
    """``scale`` times the median :func:`kth_neighbor_distances` of ``rows`` rows evenly spaced
    through ``X`` (all rows of a smaller ``X``), ``batch_size`` rows of ``X`` at a time: a
    consistency radius in the units of the data. The default scale gives MNIST's pixels about 2.0.

    >>> typical_radius(torch.tensor([[0.0], [1.0], [3.0]]), neighbors=1, scale=1.0)
    1.0
    """
    sample = X[torch.linspace(0, len(X) - 1, min(rows, len(X)), device=X.device).long()]
    return scale * float(kth_neighbor_distances(sample, X, neighbors, batch_size).median())


def mutual_information_loss(class_logits, marginal_weight=4.0):
    """IMSAT's (Hu et al. 2017) estimate of minus the mutual information between rows and
    categories, in a minibatch: the mean entropy of q(y|x) plus ``marginal_weight`` times
    :func:`imbalance` (log K minus the entropy of the mean q(y|x)). Low when each row is sure of
    its category and the categories are used equally; IMSAT weighs the marginal 4 times more.

    >>> sure_and_balanced = torch.tensor([[9.0, -9.0], [-9.0, 9.0]])
    >>> round(float(mutual_information_loss(sure_and_balanced)), 4)
    0.0
    >>> round(float(mutual_information_loss(torch.zeros(2, 2))), 4)  # unsure: log 2
    0.6931
    """
    log_probs = class_logits.float().log_softmax(dim=1)
    probs = log_probs.exp()
    return -(probs * log_probs).sum(1).mean() + marginal_weight * imbalance(probs)


def reconstruction_phase(model, optimizer, x_noisy, x, amp, config=None, generator=None, radius=None):
    """Encoder and decoder learn to rebuild ``x`` from its noisy copy; with a ``config`` whose
    ``consistency_weight`` is not 0, the class head also learns to keep q(y|x) steady under
    :func:`virtual_adversarial_loss` of ``radius`` (a float, or one per row of shape (n, 1)), and
    with a ``mutual_information_weight`` not 0, to keep :func:`mutual_information_loss` of the
    noisy rows low. Returns the loss and the detached encoder outputs, which the discriminators
    reuse as samples of q(y) and q(z)."""
    with amp:
        class_logits, style = model.encode(x_noisy)
        class_probs = class_logits.float().softmax(dim=1)
        loss = reconstruction_errors(model, model.decode(class_probs, style), x).mean()
        if config is not None and config.consistency_weight:
            loss = loss + config.consistency_weight * virtual_adversarial_loss(
                model, x, radius, generator, config.consistency_probe)
        if config is not None and config.mutual_information_weight:
            loss = loss + config.mutual_information_weight * mutual_information_loss(class_logits)
    _step(optimizer, loss)
    return loss.detach(), class_probs.detach(), style.detach()


def _discriminator_loss(discriminator, prior_samples, encoder_samples):
    """Prior samples are told apart as 1, encoder outputs as 0, in one forward pass over both."""
    logits = discriminator(torch.cat([prior_samples, encoder_samples])).float()
    is_prior = torch.zeros_like(logits)
    is_prior[: len(prior_samples)] = 1
    return 2 * F.binary_cross_entropy_with_logits(logits, is_prior)  # the sum of the two halves' means


def _fooling_loss(discriminator, encoder_samples):
    """Low when the discriminator takes encoder outputs for prior samples."""
    logits = discriminator(encoder_samples).float()
    return F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))


def imbalance(class_probs):
    """log K minus the entropy of the minibatch's mean q(y): 0 when every category is used
    equally, log K when one takes all."""
    mean = class_probs.mean(0)
    return math.log(len(mean)) + (mean * mean.clamp_min(1e-12).log()).sum()


def regularization_phase(model, discriminator_optimizer, generator_optimizer, x_noisy, class_probs, style,
                         generator, amp, balance_weight=0.0):
    """The discriminators learn to tell prior samples from encoder outputs, then the encoder learns
    to fool them, pushing q(y) towards one-hot categorical codes and q(z) towards N(0, I). A
    discriminator judges one code at a time, so it cannot see that the encoder uses only a few of
    the categories; ``balance_weight`` adds :func:`imbalance` to the encoder's loss for that."""
    n, device = len(x_noisy), x_noisy.device
    prior_class = sample_categorical(n, model.config.n_classes, generator, device)
    prior_style = sample_gaussian(n, model.config.style_dim, generator, device)
    with amp:
        discriminator_loss = _discriminator_loss(model.class_discriminator, prior_class, class_probs) + (
            _discriminator_loss(model.style_discriminator, prior_style, style)
        )
    _step(discriminator_optimizer, discriminator_loss)

    model.class_discriminator.requires_grad_(False)  # the encoder's step needs no weight gradients here
    model.style_discriminator.requires_grad_(False)
    with amp:
        class_logits, style = model.encode(x_noisy)
        class_probs = class_logits.float().softmax(dim=1)
        generator_loss = _fooling_loss(model.class_discriminator, class_probs) + (
            _fooling_loss(model.style_discriminator, style)
        )
        if balance_weight:
            generator_loss = generator_loss + balance_weight * imbalance(class_probs)
    _step(generator_optimizer, generator_loss)
    model.class_discriminator.requires_grad_(True)
    model.style_discriminator.requires_grad_(True)
    return discriminator_loss.detach(), generator_loss.detach()


def semi_supervised_phase(model, optimizer, x_noisy, labels, amp):
    """The class head learns the labels of a minibatch of labeled rows."""
    with amp:
        class_logits, _ = model.encode(x_noisy)
        loss = F.cross_entropy(class_logits.float(), labels)
    _step(optimizer, loss)
    return loss.detach()


def _with_noise(x, std, generator):
    return x + std * torch.randn(x.shape, generator=generator, device=x.device)


def consistency_phase(model, optimizer, x, amp, config, generator, radius):
    """The encoder and class head alone learn to keep q(y|x) steady under
    :func:`virtual_adversarial_loss` of ``radius`` and, with a ``mutual_information_weight`` not
    0, to keep :func:`mutual_information_loss` low, on clean rows: IMSAT's objective (Hu et al.
    2017) when both are on. The consistency-only baseline's one phase, and the AAE's fourth with
    a ``config.consistency_lr``."""
    loss = torch.zeros((), device=x.device)
    with amp:
        if config.consistency_weight:
            loss = loss + config.consistency_weight * virtual_adversarial_loss(model, x, radius, generator,
                                                                               config.consistency_probe)
        if config.mutual_information_weight:
            loss = loss + config.mutual_information_weight * mutual_information_loss(model.encode(x)[0])
    if loss.requires_grad:  # both weights 0: nothing to learn
        _step(optimizer, loss)
    return loss.detach()


def epoch_batches(n_rows, batch_size, generator, device):
    """An epoch's minibatches of row indices: a random permutation of the rows, cut in
    ``batch_size`` pieces, with more permutations after it until there are :data:`MIN_STEPS`
    pieces at least (small data sets go over their rows several times an epoch); a last piece of
    one row joins the one before it (batch normalization needs 2)."""
    passes = max(1, math.ceil(MIN_STEPS * batch_size / n_rows))
    order = torch.cat([torch.randperm(n_rows, generator=generator, device=device) for _ in range(passes)])
    batches = list(order.split(batch_size))
    if len(batches) > 1 and len(batches[-1]) == 1:
        batches[-2:] = [torch.cat(batches[-2:])]
    return batches


def train_epoch(model, optimizers, X, X_labeled, labels, config, generator, unlabeled="aae", radii=None):
    """One epoch over the rows of ``X`` (tensors on the model's device) in the minibatches of
    :func:`epoch_batches`, each going through the phases ``unlabeled`` names, then the
    semi-supervised phase on a minibatch of ``X_labeled``. ``unlabeled`` is ``"aae"`` (the
    reconstruction and regularization phases, then :func:`consistency_phase` with a
    ``config.consistency_lr``), ``"consistency"`` (:func:`consistency_phase` alone, by the optimizer of
    ``config.consistency_lr`` where there is one) or None (the
    labels-only baseline); ``X_labeled=None`` (clustering) skips the semi-supervised phase. ``radii``: a consistency
    radius for each row of ``X``, or None for ``config.consistency_radius``. Returns the mean loss
    of each phase run."""
    model.train()
    amp = autocast(X.device, config.precision)
    own_phase = unlabeled == "aae" and config.consistency_lr is not None
    phases = {"aae": PHASES[:3], "consistency": ("consistency",), None: ()}[unlabeled]
    phases = [*phases, *(["consistency"] if own_phase else []), *(PHASES[3:] if X_labeled is not None else ())]
    losses = torch.zeros(len(phases), device=X.device)
    for step, batch in enumerate(epoch_batches(len(X), config.batch_size, generator, X.device)):
        step_losses = []
        radius = config.consistency_radius if radii is None else radii[batch, None]
        if unlabeled == "aae":
            x = X[batch]
            x_noisy = _with_noise(x, config.input_noise, generator)
            with record_function("reconstruction"):  # the phases by name, for the throughput benchmark's profile
                reconstruction, class_probs, style = reconstruction_phase(
                    model, optimizers["reconstruction"], x_noisy, x, amp, None if own_phase else config, generator,
                    radius
                )
            with record_function("regularization"):
                step_losses += [reconstruction, *regularization_phase(
                    model, optimizers["discriminator"], optimizers["generator"], x_noisy, class_probs, style,
                    generator, amp, balance_weight=config.balance_weight,
                )]
            if own_phase:
                with record_function("consistency"):
                    step_losses.append(consistency_phase(model, optimizers["consistency"], x, amp, config, generator,
                                                         radius))
        elif unlabeled == "consistency":  # on clean rows and with the optimizer the term has in the AAE
            optimizer = optimizers.get("consistency", optimizers["reconstruction"])
            step_losses.append(consistency_phase(model, optimizer, X[batch], amp, config, generator, radius))
        if X_labeled is not None:
            with record_function("semi_supervised"):
                labeled = torch.randint(len(X_labeled), (config.labeled_batch_size,), generator=generator,
                                        device=X.device)
                step_losses.append(semi_supervised_phase(
                    model, optimizers["semi_supervised"],
                    _with_noise(X_labeled[labeled], config.input_noise, generator), labels[labeled], amp
                ))
        losses += torch.stack(step_losses)
    if world_size() > 1:
        distributed.all_reduce(losses)
    return dict(zip(phases, (losses / (step + 1) / world_size()).tolist()))


def train(model, X, config, generator, X_labeled=None, labels=None, unlabeled="aae", callback=None,
          optimizers=None, history=None):
    """The whole training run: ``config.epochs`` epochs of :func:`train_epoch`, the learning rates
    following :func:`learning_rate_factor` and the consistency weight :func:`consistency_factor`;
    ``config.consistency_radius="neighbors"`` first finds each row's :func:`neighbor_radii`, ``"auto"``
    the :func:`typical_radius` of ``X``. With ``unlabeled="aae"``, the first
    ``config.consistency_warmup`` epochs run as ``unlabeled="consistency"``. A run
    resumes where ``history`` ends, given the model, ``optimizers`` and generator of that moment.

    Parameters
    ----------
    model : AdversarialAutoencoder
    X : Tensor of shape (n_samples, n_features)
        The rows to learn from, on the model's device (or anything with ``len``, ``device`` and
        rows by a tensor of indices, such as rows read from a memory-mapped file); ``X_labeled``
        and ``labels`` (class indices) tensors on the device, or None for no semi-supervised phase.
    config : TrainingConfig
    generator : torch.Generator
        Seeds the noise, the prior draws and the minibatch order.
    unlabeled : {"aae", "consistency", None}, default="aae"
        What the rows of ``X`` train (:func:`train_epoch`): the AAE's reconstruction and
        regularization phases, the consistency term alone, or nothing (the labels-only baseline).
    callback : callable, optional
        Called as ``callback(epoch, record)`` after each epoch (counted from 0), with that epoch's
        entry of the history: a progress bar, a validation score (which it may add to the
        record). A true return value ends the training there: early stopping.
    optimizers : dict, optional
        The :func:`make_optimizers` of ``model``, to keep (or restore) their state; made anew if None.
    history : list of dict, optional
        The epochs already run, appended to in place; training starts at epoch ``len(history)``.

    Returns
    -------
    list of dict
        One dict per epoch run: the mean loss of each phase, and ``seconds``, the wall-clock time
        spent training up to its end (the neighbor radii included).

    Examples
    --------
    >>> from ssaae.networks import AAEConfig, AdversarialAutoencoder
    >>> model = AdversarialAutoencoder(AAEConfig(n_features=4, n_classes=2, style_dim=1, hidden_layer_sizes=(8,),
    ...                                          discriminator_layer_sizes=(8,)))
    >>> history = train(model, torch.rand(20, 4), TrainingConfig(epochs=2, batch_size=10), torch.Generator())
    >>> len(history), list(history[0])
    (2, ['reconstruction', 'discriminator', 'generator', 'seconds'])
    """
    history = [] if history is None else history
    start = time.perf_counter() - (history[-1]["seconds"] if history else 0)
    optimizers = make_optimizers(model, config) if optimizers is None else optimizers
    if config.consistency_weight and config.consistency_radius == "auto":
        config = replace(config, consistency_radius=typical_radius(X))
    radii = neighbor_radii(X) if config.consistency_weight and config.consistency_radius == "neighbors" else None
    for epoch in range(len(history), config.epochs):
        set_learning_rates(optimizers, learning_rate_factor(epoch, config.epochs, config.learning_rate_drops,
                                                            config.learning_rate_decay))
        weight = config.consistency_weight * consistency_factor(epoch, config.consistency_rampup,
                                                                config.consistency_ramp)
        warming_up = unlabeled == "aae" and epoch < config.consistency_warmup
        losses = train_epoch(model, optimizers, X, X_labeled, labels, replace(config, consistency_weight=weight),
                             generator, unlabeled="consistency" if warming_up else unlabeled, radii=radii)
        if world_size() > 1:  # batch normalization's running averages: the first process's everywhere
            for buffer in model.buffers():
                distributed.broadcast(buffer, 0)
        history.append({**losses, "seconds": time.perf_counter() - start})  # the losses' .tolist() synced
        if callback is not None and callback(epoch, history[-1]):
            break
    return history


@torch.no_grad()
def encode_dataset(model, batches):
    """Class probabilities and style codes of the rows of ``batches`` (CPU float tensors), in fp32
    so that a row's result does not depend on its batch."""
    model.eval()
    device = next(model.parameters()).device
    probs, styles = [], []
    for x in batches:
        class_logits, style = model.encode(x.to(device))
        probs.append(class_logits.softmax(dim=1).cpu())
        styles.append(style.cpu())
    return torch.cat(probs), torch.cat(styles)


@torch.no_grad()
def typicality(model, batches):
    """How well each row of ``batches`` (CPU float tensors) fits what training made of the rows, higher
    for a better fit: minus the sum of its reconstruction error (:func:`reconstruction_errors`,
    decoding q(y|x) and z as training does; for binary features less the row's own entropy, so
    that a perfect reconstruction costs 0 however much ink the row has) and ``-log max q(y|x)``
    (how far the class code is from the prior's one-hot vectors). The style's fit to N(0, I) is
    left out: unseen kinds of rows tend to get the smaller style codes. In fp32, so that a row's
    score does not depend on its batch."""
    model.eval()
    device = next(model.parameters()).device
    scores = []
    for x in batches:
        x = x.to(device)
        class_logits, style = model.encode(x)
        costs = (reconstruction_errors(model, model.decode(class_logits.softmax(dim=1), style), x)
                 - class_logits.log_softmax(dim=1).max(1).values)
        if model.config.binary_features:
            costs -= F.binary_cross_entropy(x, x, reduction="none").sum(1)
        scores.append(-costs.cpu())
    return torch.cat(scores)
