import pytest

from envsuite import paths


@pytest.fixture
def hopper_assets():
    for name in ("hopper_expert.npz", "hopper_medium.npz", "hopper_training_record.npz"):
        try:
            paths.asset_path("locomotion", name)
        except FileNotFoundError:
            pytest.skip(f"assets/locomotion/{name} is not trained yet (envsuite-datagen train-policy hopper)")
