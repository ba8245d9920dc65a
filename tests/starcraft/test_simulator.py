"""The micro-battle simulator against hand-worked StarCraft II arithmetic and a plain-Python damage
oracle (units.hit_damage): damage rule, attack timing, splash, suicide, healing, shield regeneration,
movement, determinism; scenarios and bots."""

import numpy as np
import pytest

from envsuite.starcraft.bots import BOTS, focus_fire, get_bot, kite
from envsuite.starcraft.scenarios import SCENARIOS, Scenario, get_scenario, load_scenario
from envsuite.starcraft.simulator import ATTACK, IDLE, MOVE, Battle, apply_hit
from envsuite.starcraft.units import hit_damage, unit_table, unit_type_ids, unit_types


def duel(allies, enemies, positions):
    battle = Battle(Scenario.from_dict({"name": "duel", "allies": allies, "enemies": enemies, "episode_limit": 10}))
    battle.positions[:] = np.asarray(positions, dtype=float)
    return battle


def test_unit_stats_match_the_sc2_values_of_the_asset():
    types = unit_types()
    assert set(types) >= {"marine", "marauder", "stalker", "zealot", "zergling", "hydralisk", "baneling", "medivac",
                          "colossus"}
    marine, stalker = types["marine"], types["stalker"]
    assert (marine.hit_points, marine.armor, marine.weapon.damage, marine.weapon.cooldown, marine.weapon.range) == (45, 0, 6, 0.61, 5)
    assert (stalker.hit_points, stalker.shields, stalker.weapon.bonus, stalker.weapon.bonus_attribute) == (80, 80, 5, "armored")
    assert types["zealot"].weapon.hits == 2 and types["medivac"].flying and types["baneling"].weapon.suicide


@pytest.mark.parametrize("shields", [0.0, 3.0, 8.0, 50.0])
def test_damage_kernel_equals_the_python_rule_for_every_pair(shields):
    table, ids = unit_table(), unit_type_ids()
    for attacker, attacker_type in unit_types().items():
        if attacker_type.weapon is None:
            continue
        for target in unit_types():
            hit_points, new_shields = apply_hit(table, ids[attacker], ids[target], 100.0, shields)
            shield_damage, hp_damage = hit_damage(attacker, target, shields)
            assert (100.0 - hit_points, shields - new_shields) == pytest.approx((hp_damage, shield_damage)), (attacker, target)


def test_hand_worked_damage_cases():
    # marauder on a stalker with no shields: 10 + 10 (armored) - 1 armor = 19
    assert hit_damage("marauder", "stalker", 0.0) == (0.0, 19.0)
    # zealot hit (8) on 3 shields: 3 to shields, 5 left minus 1 armor = 4 to hit points
    assert hit_damage("zealot", "stalker", 3.0) == (3.0, 4.0)
    # zergling (5) on a marauder (armor 1): 4; a marine hit can never do less than 0.5
    assert hit_damage("zergling", "marauder", 0.0) == (0.0, 4.0)
    assert hit_damage("baneling", "zergling", 0.0) == (0.0, 35.0)  # 16 + 19 light


def test_two_marines_in_range_kill_each_other_on_the_8th_shot_at_game_loop_99():
    # 45 hit points / 6 per shot: 8 shots. The first fires on loop 1; the 0.61 s cooldown lasts
    # 14 loops of 1/22.4 s (13 loops leave 0.030 s), so shots land on loops 1, 15, ..., 99.
    battle = duel({"marine": 1}, {"marine": 1}, [[10.0, 10.0], [14.0, 10.0]])
    for loop in range(1, 99):
        battle.step(1)
        assert battle.alive.all(), loop
        shots = 1 + (loop - 1) // 14
        np.testing.assert_allclose(battle.hit_points, 45.0 - 6.0 * shots)
    outcome = battle.step(1)
    assert not battle.alive.any() and battle.winner() == -1
    np.testing.assert_allclose(outcome.damage_dealt, [3.0, 3.0])  # 3 hit points were left each: overkill not counted
    np.testing.assert_array_equal(outcome.kills, [1, 1])


def test_out_of_range_attackers_walk_at_their_speed_then_fire():
    battle = duel({"stalker": 1}, {"zergling": 1}, [[5.0, 10.0], [20.0, 10.0]])
    battle.commands[0], battle.targets[0] = ATTACK, 1
    battle.commands[1] = MOVE
    battle.destinations[1] = battle.positions[1]
    battle.step(22)
    assert battle.positions[0, 0] == pytest.approx(5.0 + 4.13 * 22 / 22.4)  # 4.13 per second
    assert battle.hit_points[1] == 35.0
    # the stalker stops once its 6 range (edge to edge) reaches: 15 - 0.625 - 0.375 - 6 = 8 to walk
    battle.step(60)
    gap = battle.positions[1, 0] - battle.positions[0, 0] - 0.625 - 0.375
    assert gap == pytest.approx(6.0, abs=4.13 / 22.4) and battle.hit_points[1] < 35.0


def test_a_baneling_splashes_every_zergling_near_its_target_and_dies():
    battle = duel({"baneling": 1}, {"zergling": 3, "marine": 1},
                  [[10.0, 10.0], [10.9, 10.0], [11.0, 11.0], [11.5, 9.2], [16.0, 10.0]])
    battle.commands[0], battle.targets[0] = ATTACK, 1
    battle.commands[1:] = MOVE
    battle.destinations[1:] = battle.positions[1:]
    outcome = battle.step(1)
    assert not battle.alive[0] and not battle.alive[1:4].any()  # 35 damage kills 35-hit-point zerglings
    assert battle.alive[4] and battle.hit_points[4] == 45.0  # the marine stands 5 away
    assert outcome.kills[0] == 3 and outcome.damage_dealt[0] == pytest.approx(105.0)


def test_a_medivac_heals_the_nearest_damaged_biological_ally_at_12_6_per_second():
    battle = duel({"medivac": 1, "marine": 1, "marauder": 1}, {"zergling": 1},
                  [[10.0, 10.0], [11.0, 10.0], [13.0, 10.0], [30.0, 30.0]])
    battle.hit_points[1], battle.hit_points[2] = 20.0, 100.0
    battle.commands[3] = MOVE
    battle.destinations[3] = battle.positions[3]
    battle.step(22)
    assert battle.hit_points[1] == pytest.approx(20.0 + 12.6 * 22 / 22.4)
    assert battle.hit_points[2] == 100.0  # healed one at a time: the nearer one first


def test_shields_regenerate_2_per_second_after_10_seconds_without_damage():
    battle = duel({"zealot": 1}, {"zealot": 1}, [[5.0, 5.0], [25.0, 25.0]])
    battle.shields[:] = 10.0
    battle.commands[:] = MOVE
    battle.destinations[:] = battle.positions
    battle.step(224)  # exactly 10 s: regeneration starts on this loop
    assert battle.shields[0] == pytest.approx(10.0 + 2.0 / 22.4)
    battle.step(224)
    assert battle.shields[0] == pytest.approx(10.0 + 2.0 * 225 / 22.4)


def test_units_never_overlap_and_stay_on_the_map():
    battle = Battle("10m_vs_11m")
    battle.commands[:] = MOVE
    battle.destinations[:] = [0.0, 0.0]  # everyone to the same corner
    battle.step(400)
    positions, radius = battle.positions, battle.unit_radius()
    assert (positions >= 0).all() and (positions <= 32).all()
    distances = np.linalg.norm(positions[:, None] - positions[None], axis=-1) + np.eye(len(positions)) * 1e9
    assert (distances >= (radius[:, None] + radius[None]) * 0.5).all()  # pushed apart, at least half-way


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_scenario_is_deterministic_and_ends(scenario):
    results = []
    for _ in range(2):
        battle = Battle(scenario)
        steps = 0
        while battle.winner() is None and steps < battle.scenario.episode_limit:
            focus_fire(battle, 0)
            get_bot("attack-nearest")(battle, 1)
            battle.step(8)
            steps += 1
        results.append((steps, battle.winner(), battle.positions.copy(), battle.hit_points.copy()))
    assert results[0][:2] == results[1][:2]
    np.testing.assert_array_equal(results[0][2], results[1][2])
    np.testing.assert_array_equal(results[0][3], results[1][3])
    assert results[0][1] is not None or results[0][0] == get_scenario(scenario).episode_limit


def test_smac_scenarios_have_smacs_armies():
    assert SCENARIOS["3s5z"].ally_types == ["stalker"] * 3 + ["zealot"] * 5
    assert SCENARIOS["5m_vs_6m"].num_enemies == 6 and SCENARIOS["3s_vs_5z"].enemy_types == ["zealot"] * 5
    assert SCENARIOS["3m"].episode_limit == 60 and SCENARIOS["3s_vs_5z"].episode_limit == 250


def test_bots_choose_as_documented():
    battle = duel({"marine": 2}, {"marine": 2}, [[10.0, 10.0], [10.0, 12.0], [14.0, 10.0], [14.0, 14.0]])
    battle.hit_points[3] = 5.0
    focus_fire(battle, 0)
    assert list(battle.targets[:2]) == [3, 3] and (battle.commands[:2] == ATTACK).all()
    get_bot("attack-nearest")(battle, 0)
    assert list(battle.targets[:2]) == [2, 2] or list(battle.targets[:2]) == [2, 3]
    battle.cooldowns[0] = 0.3  # on cooldown, with an enemy 4 away (inside its range 5): step back
    kite(battle, 0)
    assert battle.commands[0] == MOVE and battle.destinations[0, 0] < battle.positions[0, 0]
    rng = np.random.default_rng(0)
    get_bot("random")(battle, 1, rng)
    assert set(battle.commands[2:]) <= {IDLE, MOVE, ATTACK}
    with pytest.raises(ValueError, match="unknown bot"):
        get_bot("smart")
    assert set(BOTS) == {"attack-nearest", "focus-fire", "kite", "random"}


def test_user_scenarios_from_data_and_clear_errors(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "4z_vs_2s"\nepisode_limit = 80\n[allies]\nzealot = 4\n[enemies]\nstalker = 2\n')
    scenario = load_scenario(path)
    assert scenario.ally_types == ["zealot"] * 4 and Battle(scenario).num_units == 6
    with pytest.raises(ValueError, match="unknown unit type 'ultralisk'"):
        Scenario.from_dict({"name": "x", "allies": {"ultralisk": 1}, "enemies": {"marine": 1}})
    with pytest.raises(ValueError, match="at least one unit"):
        Scenario.from_dict({"name": "x", "allies": {}, "enemies": {"marine": 1}})
    with pytest.raises(ValueError, match="unknown scenario"):
        get_scenario("27m")
    (tmp_path / "bad.toml").write_text("name = [")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_scenario(tmp_path / "bad.toml")
