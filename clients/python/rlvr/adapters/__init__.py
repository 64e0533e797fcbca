"""Trainer adapters: rlvr.adapters.trl (TRL GRPOTrainer reward_funcs) and rlvr.adapters.verl
(veRL custom_reward_function). OpenRLHF and slime call the verifier's HTTP endpoints directly."""
