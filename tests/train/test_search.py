"""The search space respects the budget (parameters, or bytes of the int8 file); the seed preset carries the
seed's settings."""

from __future__ import annotations

import optuna
import pytest

from edgedigit.sizes import Budget, count_params, int8_file_bytes
from edgedigit.train.search import SEED_PRESET, SearchSpace, reference_trial

BUDGETS = [Budget(max_params=32 * 1024), Budget(max_params=100_000), Budget(max_bytes=32 * 1024), Budget(),
           Budget(max_bytes=700 * 1024)]  # fmt: skip


def _cost(budget: Budget, hidden, pool: int = 1, crop: int = 0) -> int:
    return count_params(hidden, pool, crop) if budget.max_params else int8_file_bytes(hidden, pool, crop)


@pytest.mark.parametrize("budget", BUDGETS)
def test_every_proposal_fits_the_budget(budget):
    space = SearchSpace(epochs=3, augment=1.0, budget=budget)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    sizes, pools, crops = [], set(), set()
    for _ in range(60):
        trial = study.ask()
        config = space.suggest(trial)
        study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        if config is not None:
            sizes.append(_cost(budget, config.hidden, config.pool, config.crop))
            pools.add(config.pool)
            crops.add(config.crop)
            assert config.epochs == 3 and config.augment == 1.0
            assert 1 <= len(config.hidden) <= 4
            assert (config.momentum == 0) or config.optimizer == "sgd"
    assert len(sizes) >= 20
    if budget.bounded:
        limit = budget.max_params or budget.max_bytes
        assert max(sizes) <= limit
        assert max(sizes) > 0.5 * limit  # the space reaches up to the budget, not just tiny nets
    assert pools == ({1, 2, 4} if budget.small else {1})  # small budgets also try downsampled inputs...
    assert crops == ({0, 4} if budget.small else {0})  # ...and the central 20x20 alone


@pytest.mark.parametrize(
    "budget, hidden, pool, crop",
    list(zip(BUDGETS, [(295,), (125,), (212,), (445, 358, 518, 16), (512, 512)], [2, 1, 2, 1, 1], [4, 0, 4, 0, 0])),
)
def test_reference_trial_is_a_valid_point_of_the_space(budget, hidden, pool, crop):
    """The best configuration known where it fits (unbounded; its int8 file is 742,680 bytes, over 700 KB), else
    the recipe's 512-512, else the widest single layer."""
    study = optuna.create_study()
    study.enqueue_trial(reference_trial(budget))
    config = SearchSpace(epochs=1, augment=0.5, budget=budget).suggest(study.ask())
    assert (config.hidden, config.pool, config.crop) == (hidden, pool, crop) and config.optimizer == "adam"
    assert _cost(budget, hidden, pool, crop) <= (budget.max_params or budget.max_bytes or float("inf"))
    if budget.bounded and len(hidden) == 1:  # the widest single layer that fits
        limit = budget.max_params or budget.max_bytes
        assert _cost(budget, hidden, pool, crop) <= limit < _cost(budget, [hidden[0] + 1], pool, crop)


def test_seed_preset_has_the_seed_settings():
    names = [n for n, _, _ in SEED_PRESET]
    assert len(names) == len(set(names)) == 8
    by_name = {n: c for n, c, _ in SEED_PRESET}
    momentum = by_name["32-32 lr.01 m.9 decay1e-6 bs64"]
    assert (momentum.optimizer, momentum.momentum, momentum.lr_decay, momentum.schedule) == (
        "sgd", 0.9, 1e-6, "inverse_time",
    )  # fmt: skip
    assert by_name["32-32 lr.09 m.9 bs32"].learning_rate == 0.09
    assert by_name["128-128 dropout.5 lr.01 m.9 bs64"].dropout == 0.5
    assert all(c.epochs == 20 and c.augment == 0 and c.elastic == 0 for c in by_name.values())
    assert [r for _, _, r in SEED_PRESET] == [0.937, 0.9425, 0.9354, 0.9253, 0.95, 0.9596, 0.9452, 0.956]


def test_final_epochs_default_depends_on_the_budget_and_a_given_value_wins():
    from edgedigit.options import FINAL_EPOCHS, SMALL_FINAL_EPOCHS, TrainOptions

    assert TrainOptions().final_epochs_count == FINAL_EPOCHS == 50
    assert TrainOptions(max_kb=700).final_epochs_count == FINAL_EPOCHS
    assert TrainOptions(max_kb=32).final_epochs_count == SMALL_FINAL_EPOCHS == 150  # a cheap epoch, still learning
    assert TrainOptions(max_params=50_000).final_epochs_count == SMALL_FINAL_EPOCHS
    assert TrainOptions(max_kb=32, final_epochs=20).final_epochs_count == 20


def test_augmentation_default_depends_on_the_budget_and_a_given_value_wins():
    from edgedigit.options import ELASTIC_PX, TrainOptions

    assert TrainOptions().augment_strength == 0.6
    assert TrainOptions(max_kb=8).augment_strength == 0.0  # a network this small underfits
    assert TrainOptions(max_kb=32).augment_strength == 0.6  # one of 32 KB gains from distortion
    assert TrainOptions(max_params=10_000).augment_strength == 0.0
    assert TrainOptions(max_params=500_000).augment_strength == 0.6
    assert TrainOptions(max_kb=8, augment=0.3).augment_strength == 0.3
    assert TrainOptions().elastic_strength == ELASTIC_PX > 0
    assert TrainOptions(max_kb=8).elastic_strength == 0.0
    assert TrainOptions(max_kb=32).elastic_strength == ELASTIC_PX
    assert TrainOptions(max_kb=8, elastic=0.5).elastic_strength == 0.5
    assert TrainOptions(elastic=0.0).elastic_strength == 0.0


def _proposals(folder, seed: int, storage: str | None = None, n: int = 12) -> list[dict]:
    """The configurations a new run's study proposes, told a made-up score each (no training)."""
    from edgedigit.options import TrainOptions
    from edgedigit.train.studies import open_study

    opts = TrainOptions(seed=seed, storage=storage)
    folder.mkdir(parents=True)
    study = open_study(opts, folder, preset=False)
    space = SearchSpace(epochs=1, augment=0.0)
    proposed = []
    for _ in range(n):
        trial = study.ask()
        config = space.suggest(trial)
        proposed.append(trial.params)
        study.tell(trial, sum(config.hidden) % 97 / 97)  # deterministic in the configuration
    return proposed


@pytest.mark.filterwarnings("ignore:Heartbeat of storage")  # ask/tell here: no trial runs, none to watch
def test_the_same_seed_proposes_the_same_trials_and_a_resumed_search_new_ones(tmp_path):
    first, again = _proposals(tmp_path / "a", seed=3), _proposals(tmp_path / "b", seed=3)
    assert first == again  # TPE after its random start-up too: a run is repeatable
    assert first != _proposals(tmp_path / "c", seed=4)
    from edgedigit.options import TrainOptions
    from edgedigit.train.studies import sampler_seed

    assert sampler_seed(TrainOptions(seed=3), 0) == 3
    assert sampler_seed(TrainOptions(seed=3), 12) != 3  # resumed: the sampler does not replay the first trials


def test_a_small_budget_retrains_the_largest_network_tied_with_the_best_trial():
    """Within one standard error of the best validation accuracy the largest network is retrained (its few
    search epochs flatter narrow nets); a larger one clearly behind, or any other budget, keeps the best."""
    from edgedigit.train.config import TrainConfig
    from edgedigit.train.studies import study_best

    study = optuna.create_study(direction="maximize")
    for value, units in [(0.9762, 21), (0.9750, 34), (0.9700, 40), (0.9740, 28)]:
        config = TrainConfig(hidden=(units,), pool=2, crop=4)
        attrs = {"config": config.to_dict(), "params": count_params(config.hidden, 2, 4)}
        study.add_trial(optuna.trial.create_trial(value=value, user_attrs=attrs))
    assert study_best(study)[1].hidden == (21,)  # no tie-break: the best
    assert study_best(study, val_count=6000) == (1, TrainConfig(hidden=(34,), pool=2, crop=4))  # SE 0.20 pp
    assert study_best(study, val_count=600_000)[1].hidden == (21,)  # SE 0.02 pp: nothing is tied with it


def test_a_trial_still_training_when_the_time_is_up_stops_and_is_retried_not_counted(mnist, tmp_path):
    """`--timeout` bounds the search: the running trial stops after its epoch, is kept as pruned with the
    reason, and does not count towards --trials (a resumed search trains it again)."""
    import time

    from edgedigit.train.config import TrainConfig
    from edgedigit.train.data import split_train_val
    from edgedigit.train.search import INTERRUPTED, make_objective
    from edgedigit.train.studies import counts

    split = split_train_val(mnist, 0.1, seed=0, limit=1000)
    results, now = [], time.monotonic()
    for epochs in (3, 1):
        objective = make_objective(lambda trial, e=epochs: TrainConfig(hidden=(16,), epochs=e, augment=0), split,
                                   seed=0, callbacks=lambda trial, cfg: [], on_result=lambda t, r: None,
                                   prune=False, deadline=lambda: now)  # fmt: skip
        study = optuna.create_study(direction="maximize", storage=f"sqlite:///{tmp_path}/s{epochs}.db")
        study.optimize(objective, n_trials=1)
        results.append(study.trials[0])
    stopped, last_epoch = results
    assert stopped.state == optuna.trial.TrialState.PRUNED
    assert stopped.user_attrs["epochs_run"] == 1
    assert "time ran out after epoch 1" in stopped.user_attrs[INTERRUPTED]
    assert not counts(stopped)
    # a trial in its last epoch when the time is up finishes: stopping it would save nothing
    assert last_epoch.state == optuna.trial.TrialState.COMPLETE and counts(last_epoch)
