"""A trained CartPole agent: a small Keras policy, taught by the cross-entropy method.

Builds on the post's OpenAI Gym section (gym-simple/), which plays CartPole-v0 with random
actions: trains a policy until it solves the game, saves it as policy.keras and plays an episode
with it, in a window, or to cartpole-agent.gif where none opens (both beside this script).
    cd gym_agent && python agent.py [--env CartPole-v0] [--iterations 100] [--seed 0] [--smoke]
"""
import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--env", default="CartPole-v0", help="Gymnasium's environment id")
    parser.add_argument("--iterations", type=int, default=100, help="training iterations, at most")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--smoke", action="store_true", help="a short run: 10 iterations")
    args = parser.parse_args()
    # Settings that TensorFlow and pygame (SDL) read when they start, then the heavy libraries:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # no start-up lines from TensorFlow
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # nor a greeting from pygame
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")  # CartPole is silent: no sound card needed
    os.environ.setdefault("SDL_FRAMEBUFFER_ACCELERATION", "0")  # the window without OpenGL: Mesa's
    # crashes beside TensorFlow, whose copy of LLVM it calls (tensorflow/tensorflow#109933)
    if sys.platform.startswith("linux") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("SDL_VIDEODRIVER", "x11,offscreen")  # X's display, else one in memory
    import gymnasium as gym
    import keras
    import pygame  # Gymnasium draws CartPole with it
    from PIL import Image
    warnings.filterwarnings("ignore", message=".*is out of date")  # the post's CartPole-v0, not v1
    envs = [gym.make(args.env) for _ in range(16)]  # 16 episodes an iteration, side by side
    keras.utils.set_random_seed(args.seed)  # Python's, NumPy's and the backend's generators
    policy = keras.Sequential([
        keras.Input(envs[0].observation_space.shape),  # CartPole: cart and pole, where and how fast
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(int(envs[0].action_space.n), activation="softmax"),  # each action's odds
    ])
    policy.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    train(policy, envs, min(args.iterations, 10) if args.smoke else args.iterations, args.seed)
    policy.save(HERE / "policy.keras")
    print(f"policy saved to {HERE / 'policy.keras'}")

    pygame.display.init()  # a window where one really opens, else frames for a GIF
    window = pygame.display.get_driver() not in ("offscreen", "dummy")
    env = gym.make(args.env, render_mode="human" if window else "rgb_array")
    if not window:
        env = gym.wrappers.RenderCollection(env)  # keeps each state's picture, for the GIF
    observation, info = env.reset(seed=args.seed)
    steps = 0
    total = 0.0
    while True:
        action = np.argmax(policy.predict_on_batch(observation[None])[0])  # its likeliest action
        observation, reward, terminated, truncated, info = env.step(action)
        steps += 1
        total += reward
        if terminated or truncated:  # the pole fell or the cart left; or time is up (200 steps)
            break
    print(f"Trained agent's episode: {steps} timesteps, reward {total:g}")
    if not window:  # the episode as an animated GIF, 30 frames a second, at half size (300x200)
        images = [Image.fromarray(frame).reduce(2) for frame in env.render()]  # (h, w, 3) arrays
        gif = HERE / f"{args.env.split('/')[-1].split('-v')[0].lower()}-agent.gif"
        images[0].save(gif, save_all=True, append_images=images[1:], duration=33, loop=0)
        with Image.open(gif) as saved:  # Pillow merges frames that look alike: count what it kept
            print(f"animation ({saved.n_frames} frames) saved to {gif}")
    env.close()


def train(policy, envs, iterations, seed):
    """The cross-entropy method: play an episode in each env with actions drawn from the policy,
    keep the best 30% of them, teach the policy their actions; until it is solved: the average
    reward of the last 100 episodes reaches the env's threshold (CartPole-v0: 195 of 200)."""
    rng = np.random.default_rng(seed)
    threshold = envs[0].spec.reward_threshold
    recent = []  # the rewards of the last 100 episodes
    for iteration in range(1, iterations + 1):
        observations = [env.reset(seed=int(rng.integers(2**31)))[0] for env in envs]
        states = [[] for _ in envs]  # what each episode saw
        actions = [[] for _ in envs]  # and what it did
        rewards = np.zeros(len(envs))
        running = list(range(len(envs)))
        while running:  # one call of the policy a step, for all the episodes that still run
            probabilities = policy.predict_on_batch(np.array([observations[i] for i in running]))
            for i, p in zip(list(running), probabilities):
                action = rng.choice(len(p), p=p)  # drawn, not the likeliest: the policy explores
                states[i].append(observations[i])
                actions[i].append(action)
                observations[i], reward, terminated, truncated, info = envs[i].step(action)
                rewards[i] += reward
                if terminated or truncated:
                    running.remove(i)
        recent = (recent + list(rewards))[-100:]
        elite = np.flatnonzero(rewards >= np.percentile(rewards, 70))  # the best 30% of episodes
        loss = policy.train_on_batch(np.concatenate([states[i] for i in elite]),
                                     np.concatenate([actions[i] for i in elite]))
        print(f"iteration {iteration:3d}: mean reward {rewards.mean():6.1f}, "
              f"100-episode average {np.mean(recent):6.1f}, loss {loss:.3f}")
        if len(recent) == 100 and np.mean(recent) >= threshold:
            print(f"Solved after {iteration} iterations ({iteration * len(envs)} episodes): "
                  f"100-episode average {np.mean(recent):.1f} (threshold {threshold})")
            return
    print(f"Not solved in {iterations} iterations (threshold {threshold})")


if __name__ == "__main__":
    main()
