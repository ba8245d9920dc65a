"""The locomotion trainers (ARS, PPO), their shared rollout pool and the expert-making driver."""
