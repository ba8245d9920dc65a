"""StarCraft micro battles as a PettingZoo ParallelEnv (one agent per allied unit) and its gymnasium
view `envsuite/StarCraftMicro-<scenario>-v0` (all allied units against a scripted bot).

Part of the StarCraft family (envsuite/starcraft/): the battle is simulator.py's, the opponent one
of bots.py's, the observations and masks features.py's.

| | |
|---|---|
| Agents | `ally_0` .. `ally_{n-1}`, one per allied unit in scenario order; a dead agent leaves `env.agents` after the step it died in |
| Action space (per agent) | `Discrete(5 + enemies)`: 0-3 move 2 map units north/south/east/west, 4 stop (hold and fire at enemies in range), 5 + j attack enemy j (walk into range if needed) |
| Observation (per agent) | `Dict(observation=Box(-1, 1, (D,), float32), action_mask=Box(0, 1, (5 + enemies,), int8))`; D and the features in features.py (SMAC-style, within sight range) |
| State | `env.state()`: `Box(-1, 1, (S,), float32)`, every unit's alive flag, health, shields, position, cooldown and type |
| Reward | SMAC's shaped team reward, given to every agent: (damage dealt to enemies (hit points + shields) + 10 per enemy killed + 200 for a win) / (the largest possible total) x 20, so an episode's return is at most 20; damage taken is not subtracted (SMAC's reward_only_positive) |
| Termination | every enemy dead (a win) or every ally dead; each dead agent is terminated when it dies |
| Truncation | the scenario's episode limit (SMAC's, in steps of 8 game loops = 0.357 s) |
| Invalid actions | an action its mask forbids is carried out as stop and counted in `infos[agent]["invalid_action"]` (SMAC raises instead; random agents and API checkers sample unmasked) |
| Arguments | `scenario` (a name of scenarios.SCENARIOS, a Scenario or a dict), `enemy_bot` ("attack-nearest", "focus-fire", "kite", "random"), `render_mode` ("rgb_array") |

Version history: v0 (envsuite 0.1).
"""

from __future__ import annotations

import functools

import gymnasium
import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv

from envsuite.common import DatasetEnvMixin
from envsuite.starcraft import features, images
from envsuite.starcraft.bots import DIRECTIONS, MOVE_DISTANCE, get_bot
from envsuite.starcraft.simulator import ATTACK, IDLE, MOVE, Battle
from envsuite.starcraft.units import unit_table

LOOPS_PER_STEP = 8  # SMAC's step_mul
REWARD_DEATH_VALUE, REWARD_WIN, REWARD_SCALE = 10.0, 200.0, 20.0  # SMAC's defaults


class StarCraftMicroParallelEnv(ParallelEnv):
    """A SMAC-style micro battle, one agent per allied unit (see the module table)."""

    metadata = {"name": "envsuite_starcraft_micro_v0", "render_modes": ["rgb_array"], "render_fps": 3,
                "is_parallelizable": True}

    def __init__(self, scenario="3m", enemy_bot: str = "attack-nearest", render_mode: str | None = None):
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.battle = Battle(scenario)
        self.scenario = self.battle.scenario
        self.enemy_bot_name = enemy_bot
        self.enemy_bot = get_bot(enemy_bot)
        self.render_mode = render_mode
        self.num_allies, self.num_enemies = self.scenario.num_allies, self.scenario.num_enemies
        self.possible_agents = [f"ally_{i}" for i in range(self.num_allies)]
        self.agent_index = {agent: i for i, agent in enumerate(self.possible_agents)}
        self.agents = []
        table = unit_table()
        self._slots, self._num_types = features.type_slots(self.battle.types, len(table))
        self._observation_size = features.observation_size(self.num_allies, self.num_enemies, self._num_types)
        self._num_actions = features.num_actions(self.num_enemies)
        self._observations = np.zeros((self.num_allies, self._observation_size))
        self._masks = np.zeros((self.num_allies, self._num_actions), dtype=np.int8)
        self._state = np.zeros(features.state_size(self.battle.num_units, self._num_types))
        self.state_space = spaces.Box(-1.0, 1.0, self._state.shape, dtype=np.float32)
        enemy_health = float(self.battle.max_health()[self.num_allies:].sum())
        self.max_reward = enemy_health + REWARD_DEATH_VALUE * self.num_enemies + REWARD_WIN
        self._rng = np.random.default_rng()
        self.steps = 0

    @functools.lru_cache(maxsize=None)
    def observation_space(self, agent):
        return spaces.Dict({
            "observation": spaces.Box(-1.0, 1.0, (self._observation_size,), dtype=np.float32),
            "action_mask": spaces.Box(0, 1, (self._num_actions,), dtype=np.int8),
        })

    @functools.lru_cache(maxsize=None)
    def action_space(self, agent):
        return spaces.Discrete(self._num_actions)

    # --- API --------------------------------------------------------------------------------

    def reset(self, seed=None, options=None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self.battle.reset(self._rng if self.scenario.spawn_jitter > 0 else None)
        self.agents = list(self.possible_agents)
        self.steps = 0
        self.won = False
        self._refresh()
        return self._observe(self.agents), {agent: {} for agent in self.agents}

    def step(self, actions):
        if not self.agents:
            raise RuntimeError("StarCraftMicro: the episode has ended; call reset()")
        acting = list(self.agents)
        invalid = self._command_allies(actions, acting)
        self.enemy_bot(self.battle, 1, self._rng)
        outcome = self.battle.step(LOOPS_PER_STEP)
        self.steps += 1
        winner = self.battle.winner()
        self.won = winner == 0
        team_reward = outcome.damage_dealt[0] + REWARD_DEATH_VALUE * outcome.kills[0] + (REWARD_WIN if self.won else 0.0)
        team_reward = float(team_reward / self.max_reward * REWARD_SCALE)
        over = winner is not None
        limit = not over and self.steps >= self.scenario.episode_limit
        self._refresh()
        alive = self.battle.allies_alive
        observations = self._observe(acting)
        rewards = {agent: team_reward for agent in acting}
        terminations = {agent: over or not alive[self.agent_index[agent]] for agent in acting}
        truncations = {agent: limit and not terminations[agent] for agent in acting}
        infos = {agent: {"invalid_action": agent in invalid, "won": self.won, "battle_over": over or limit}
                 for agent in acting}
        self.agents = [agent for agent in acting if not (terminations[agent] or truncations[agent])]
        return observations, rewards, terminations, truncations, infos

    def state(self) -> np.ndarray:
        return self._state.astype(np.float32)

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        from envsuite.starcraft.rendering import render_battle

        return render_battle(self.battle)

    def close(self):
        pass

    # --- internals --------------------------------------------------------------------------

    def _command_allies(self, actions, acting) -> set:
        battle, invalid = self.battle, set()
        for agent in acting:
            if agent not in actions:
                raise ValueError(f"StarCraftMicro: no action for live agent {agent}; give one for each of {acting}")
            unit = self.agent_index[agent]
            action = actions[agent]
            # (a cheap check: gymnasium's Discrete.contains was a quarter of the step's time)
            if not isinstance(action, (int, np.integer)) or not 0 <= action < self._num_actions:
                raise ValueError(f"StarCraftMicro: action {action!r} of {agent} is not in {self.action_space(agent)}")
            action = int(action)
            if not self._masks[unit, action]:
                invalid.add(agent)
                action = features.STOP
            if action < features.NUM_MOVES:
                battle.commands[unit] = MOVE
                battle.destinations[unit] = battle.positions[unit] + MOVE_DISTANCE * DIRECTIONS[action]
            elif action == features.STOP:
                battle.commands[unit] = IDLE
            else:
                battle.commands[unit] = ATTACK
                battle.targets[unit] = self.num_allies + action - features.FIRST_ATTACK
        return invalid

    def _refresh(self):
        b = self.battle
        size = float(self.scenario.map_size)
        features.write_observations(self._observations, b.table, b.types, self._slots, self._num_types, self.num_allies,
                                    b.positions, b.hit_points, b.shields, b.cooldowns, b.alive, size)
        features.write_action_masks(self._masks, b.table, b.types, self.num_allies, b.positions, b.alive, size,
                                    MOVE_DISTANCE)
        features.write_state(self._state, b.table, b.types, self._slots, self._num_types, b.positions, b.hit_points,
                             b.shields, b.cooldowns, b.alive, size)

    def _observe(self, agents):
        observations = self._observations.astype(np.float32)
        return {agent: {"observation": observations[self.agent_index[agent]],
                        "action_mask": self._masks[self.agent_index[agent]].copy()} for agent in agents}


class StarCraftMicroEnv(DatasetEnvMixin, gymnasium.Env):
    """The gymnasium view: one policy controls every allied unit against the scripted bot.

    | | |
    |---|---|
    | Action space | `MultiDiscrete([5 + enemies] * allies)`: one action per allied unit (dead units' actions are ignored) |
    | Observation space | `Dict(observation=Box(-1, 1, (allies, D), float32), action_mask=Box(0, 1, (allies, 5 + enemies), int8), state=Box(-1, 1, (S,), float32))` |
    | Reward | the team reward of the PettingZoo env (SMAC's, an episode's return at most 20) |
    | Termination / truncation | the battle is won or lost / the scenario's episode limit |
    | Info | `won`, `allies_alive`, `enemies_alive`, `invalid_actions` (carried out as stop) |
    | Images | `image_format="hyperspectral" / "rgb" / "grayscale"` adds `image`: the StarCraftImage window of the last 255 game loops (images.py), (384, 64, 64), (32, 32, 3) or (28, 28) uint8 |
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 3}

    def __init__(self, scenario="3m", enemy_bot: str = "attack-nearest", render_mode: str | None = None,
                 image_format: str | None = None, dataset_id: str | None = None, ref_min_score=None,
                 ref_max_score=None):
        self._init_dataset(dataset_id, ref_min_score, ref_max_score)
        if image_format is not None and image_format not in images.FORMAT_SHAPES:
            raise ValueError(f"image_format must be None or one of {sorted(images.FORMAT_SHAPES)}, got {image_format!r}")
        self.parallel = StarCraftMicroParallelEnv(scenario, enemy_bot, render_mode)
        self.render_mode = render_mode
        self.image_format = image_format
        p = self.parallel
        self.action_space = spaces.MultiDiscrete([p._num_actions] * p.num_allies)
        observation = {
            "observation": spaces.Box(-1.0, 1.0, (p.num_allies, p._observation_size), dtype=np.float32),
            "action_mask": spaces.Box(0, 1, (p.num_allies, p._num_actions), dtype=np.int8),
            "state": p.state_space,
        }
        if image_format is not None:
            observation["image"] = spaces.Box(0, 255, images.FORMAT_SHAPES[image_format], dtype=np.uint8)
        self.observation_space = spaces.Dict(observation)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        if seed is None and not hasattr(self, "_seeded"):
            seed = int(self.np_random.integers(2**31))
        self._seeded = True
        self.parallel.reset(seed=seed, options=options)
        return self._observation(), self._info(0)

    def step(self, action):
        p = self.parallel
        action = np.asarray(action)
        if action.shape != self.action_space.shape or action.dtype.kind not in "iu":
            raise ValueError(f"{self._env_name()}: action must be an integer array of shape {self.action_space.shape} "
                             f"for the action space {self.action_space}, got {action.dtype} {action.shape}")
        if (action < 0).any() or (action >= p._num_actions).any():
            raise ValueError(f"{self._env_name()}: actions must lie in 0..{p._num_actions - 1} "
                             f"(the action space {self.action_space}), got {action.tolist()}")
        live = list(p.agents)
        _, rewards, terminations, truncations, infos = p.step({agent: action[p.agent_index[agent]] for agent in live})
        reward = next(iter(rewards.values()))
        over = any(info["battle_over"] for info in infos.values())
        terminated = over and not any(truncations.values())
        truncated = over and any(truncations.values())
        invalid = sum(info["invalid_action"] for info in infos.values())
        return self._observation(), reward, terminated, truncated, self._info(invalid)

    def _observation(self):
        p = self.parallel
        observation = {"observation": p._observations.astype(np.float32), "action_mask": p._masks.copy(),
                       "state": p.state()}
        if self.image_format is not None:
            observation["image"] = images.in_format(images.battle_window(p.battle), self.image_format)
        return observation

    def _info(self, invalid):
        b = self.parallel.battle
        return {"won": self.parallel.won if self.parallel.steps else False, "allies_alive": int(b.allies_alive.sum()),
                "enemies_alive": int(b.enemies_alive.sum()), "invalid_actions": int(invalid)}

    def render(self):
        return self.parallel.render()

    def _env_name(self) -> str:
        return self.spec.id if self.spec is not None else "StarCraftMicro"

    def get_normalized_score(self, episode_return):
        raise ValueError(f"{self._env_name()}: StarCraft datasets have no D4RL reference scores; an episode's "
                         "return is already SMAC's normalised reward (at most 20), and datasets report win rates")
