"""The StarCraft family (DESIGN.md section 6): a numba micro-battle simulator with SC2 unit stats,
SMAC scenarios and scripted bots (in progress: envs, image formats, replays, pysc2 adapter).

- `units`: unit types from assets/starcraft/units.toml and the damage rule;
- `scenarios`: SMAC's scenarios and user-defined ones;
- `simulator`: the `Battle` state and its numba game-loop kernel;
- `bots`: attack-nearest, focus-fire, kite and random.
"""
