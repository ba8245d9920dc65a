"""Where envsuite's behaviour policies are trained, apart from the envs they train on.

Where it sits: above the env families (envsuite/) and below datagen/, which calls it for
`envsuite-datagen train-policy` / `evaluate-policy` and reads its training records for the
medium-replay datasets. Nothing under envsuite/ imports it.

- training/locomotion/: ARS (linear policies) and PPO (an MLP policy), their worker pool, and
  experts.py (which trainer makes each env's expert and medium policies, and what is saved to
  assets/locomotion/).
- training/mocap/: distill.py, the multi-clip tracking policy distilled from the planner expert
  (behaviour cloning, then DAgger; PyTorch from the `train` extra).
"""
