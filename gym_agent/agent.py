"""A trained agent for gym-simple's CartPole: a small Keras policy, by the cross-entropy method.

Plays 16 episodes at a time, keeps the best 30%, fits the policy to their actions, until the
environment's reward threshold is the average of the last 100 episodes; saves the policy as
policy.keras beside the GIF, then plays an episode with it, in a window or to the GIF.
    cd gym-simple && python agent.py [--env CartPole-v0] [--iterations 100] [--seed 0] [--out cartpole.gif]
"""
import argparse
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np

from main import HERE, choose_render_mode, gif_name, make_errors, play_episodes, register_atari, save_gif  # beside this script

BACKENDS = ("tensorflow", "jax", "torch")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="CartPole-v0", help="environment id (default: CartPole-v0, the post's)")
    parser.add_argument("--iterations", type=int, default=100, help="at most this many iterations (default: 100)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--no-render", action="store_true", help="no window and no GIF (policy.keras still saved)")
    parser.add_argument("--out", type=Path, help="the GIF, where no window opens; policy.keras goes beside it "
                                                 "(default: the env's name, here)")
    parser.add_argument("--backend", choices=BACKENDS, help="Keras backend (default: KERAS_BACKEND, else keras.json's)")
    parser.add_argument("--smoke", action="store_true", help="a short run with the same outputs: 10 iterations")
    args = parser.parse_args()
    args.out = (args.out or HERE / gif_name(args.env)).resolve()
    if not 0 <= args.seed < 2**32:  # the seeds NumPy takes
        parser.error(f"argument --seed: must be 0 to {2**32 - 1}")
    if args.out.suffix.lower() != ".gif" or not os.access(args.out.parent, os.W_OK):  # before training, not after
        parser.error(f"argument --out: {args.out}: name a .gif file in a folder that can be written to")
    render_mode = choose_render_mode(args.no_render)
    import gymnasium as gym

    atari = register_atari(gym)
    with make_errors(args.env, atari):
        envs = [gym.make(args.env) for _ in range(16)]
    if not hasattr(envs[0].action_space, "n") or len(envs[0].observation_space.shape or ()) != 1:
        sys.exit(f"error: --env {args.env}: the policy needs discrete actions and a flat observation, "
                 f"not {envs[0].action_space} and {envs[0].observation_space}")
    keras = import_keras(args.backend)
    keras.utils.set_random_seed(args.seed)
    policy = keras.Sequential([keras.Input(envs[0].observation_space.shape),
                               keras.layers.Dense(128, activation="relu"),
                               keras.layers.Dense(int(envs[0].action_space.n), activation="softmax")])
    policy.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    train(policy, envs, args.env, min(args.iterations, 10) if args.smoke else args.iterations, args.seed)
    policy.save(args.out.with_name(".tmp-policy.keras"))  # Keras wants a .keras name
    os.replace(args.out.with_name(".tmp-policy.keras"), args.out.with_name("policy.keras"))  # replaced whole, or not at all
    print(f"policy saved to {args.out.with_name('policy.keras')}")

    env = gym.make(args.env, render_mode=render_mode)
    act = lambda observation: int(np.argmax(policy.predict_on_batch(observation[None].astype("float32"))[0]))
    frames = play_episodes(env, args.seed, 1, act)
    env.close()
    if frames:
        save_gif(frames, args.out)


def train(policy, envs, env_id, iterations, seed):
    """The cross-entropy method, the 16 episodes side by side: one call of the policy a step for all
    that still run; until the average reward of the last 100 episodes reaches the env's threshold."""
    rng, recent, start = np.random.default_rng(seed), [], time.perf_counter()
    threshold = envs[0].spec.reward_threshold or float("inf")
    for iteration in range(1, iterations + 1):
        observations = [env.reset(seed=seed * 100_000 + iteration * 16 + i)[0] for i, env in enumerate(envs)]
        episodes, running = [([], [], 0.0) for _ in envs], list(range(len(envs)))
        while running:
            probabilities = np.asarray(policy.predict_on_batch(np.array([observations[i] for i in running])), "float64")
            for i, p in zip(list(running), probabilities):
                action = rng.choice(len(p), p=p / p.sum())
                states, actions, total = episodes[i]
                observation, reward, terminated, truncated, _ = envs[i].step(action)
                episodes[i] = (states + [observations[i]], actions + [action], total + reward)
                observations[i] = observation
                if terminated or truncated:
                    running.remove(i)
        rewards = np.array([total for _, _, total in episodes])
        recent = (recent + rewards.tolist())[-100:]
        elite = [(s, a) for s, a, total in episodes if total >= np.percentile(rewards, 70)]
        loss = policy.train_on_batch(np.concatenate([s for s, _ in elite]).astype("float32"),
                                     np.concatenate([a for _, a in elite]))
        print(f"iteration {iteration:3d}: mean reward {rewards.mean():6.1f}, "
              f"100-episode average {np.mean(recent):6.1f}, loss {float(np.ravel(loss)[0]):.3f}")
        if len(recent) == 100 and np.mean(recent) >= threshold:
            return print(f"Solved {env_id} after {iteration} iterations ({iteration * len(envs)} episodes, "
                         f"{time.perf_counter() - start:.0f} s): average reward {np.mean(recent):.1f} "
                         f"over the last 100 episodes (threshold {threshold})")
    print(f"Not solved in {iterations} iterations: 100-episode average {np.mean(recent):.1f} (threshold {threshold})")


def import_keras(backend):
    """Keras on --backend, else KERAS_BACKEND, else keras.json's; or one line saying what is wrong."""
    os.environ.update({"KERAS_BACKEND": backend} if backend else {})
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow reads it once, at import
    try:
        import keras
    except ModuleNotFoundError as error:  # a backend's package
        sys.exit(f"error: {error.name.split('.')[0]} is not installed: pip install -r requirements.txt (TensorFlow), "
                 "requirements-jax.txt or requirements-torch.txt")
    except (ValueError, AttributeError) as error:  # Keras's own words on KERAS_BACKEND or keras.json
        sys.exit(f"error: Keras refuses KERAS_BACKEND or {os.environ.get('KERAS_HOME', '~/.keras')}/keras.json: {error}")
    if keras.backend.backend() not in BACKENDS:  # numpy, openvino: Keras's backends that only predict
        sys.exit(f"error: Keras backend {keras.backend.backend()} cannot train; use {', '.join(BACKENDS)}")
    print(f"Keras backend: {keras.backend.backend()}")
    return keras


if __name__ == "__main__":
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not where Ctrl-C is ignored
        signal.signal(signal.SIGINT, lambda *_: (sys.stdout.flush(), print("interrupted", file=sys.stderr), os._exit(130)))
    try:
        main()
        sys.stdout.flush()
    except BrokenPipeError:  # `python main.py | head`: stop quietly, as Python's docs advise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as error:  # a full disk, a folder that cannot be written to
        sys.exit(f"error: {error}")
