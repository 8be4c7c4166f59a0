"""OpenAI Gym, today: Gymnasium's catalog of environments, CartPole's spaces, CartPole played.

The episodes of random actions play in a window where one opens; else the first is saved as a
GIF beside this script, named after the environment (--env MsPacman-v0 needs ale-py).
    cd gym-simple && python main.py [--env MsPacman-v0] [--episodes 20] [--seed 0]
"""
import argparse
import os
import sys
import warnings
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--env", default="CartPole-v0", help="default: the post's CartPole-v0")
parser.add_argument("--episodes", type=int, default=20, help="random episodes (default: 20)")
parser.add_argument("--seed", type=int, help="the same episodes each run (default: new ones)")
args = parser.parse_args()

# Gymnasium draws the classic environments with pygame; a window only where SDL really opens one
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
if sys.platform.startswith("linux") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("SDL_VIDEODRIVER", "x11,offscreen")  # X's display, else one in memory
import pygame

pygame.display.init()
window = pygame.display.get_driver() not in ("offscreen", "dummy")
pygame.display.quit()

import gymnasium as gym  # Gymnasium: the Gym of the post, maintained
from gymnasium import envs

try:  # the Atari games, the post's MsPacman-v0 among them, where ale-py is installed
    import ale_py
    gym.register_envs(ale_py)
    ale_py.ALEInterface.setLoggerMode(ale_py.LoggerMode.Error)  # no banner at each game's start
except ImportError:
    pass
warnings.filterwarnings("ignore", message=".*is out of date")  # the post asks for v0

# catalog installed environments (Gymnasium: the registry is a dict, the post's .all() is gone)
print("Environments: {}".format(list(envs.registry)))

# load an environment (Gymnasium: how it renders is chosen here, a window or frames to keep)
env = gym.make(args.env, render_mode="human" if window else "rgb_array")

# how are the spaces defined?
print("Action space: {}".format(env.action_space))
print("Observation space: {}".format(env.observation_space))

# play: random actions, no agent yet
frames = []
env.action_space.seed(args.seed)  # Gymnasium: seeds go to reset and to the spaces
for i_episode in range(args.episodes):
    # Gymnasium: reset returns the observation and an info dict
    observation, info = env.reset(seed=args.seed if i_episode == 0 else None)
    for t in range(100):
        if not window and i_episode == 0:
            frames.append(env.render())  # a picture of this step, for the GIF
        action = env.action_space.sample()
        # Gymnasium: done is two flags, terminated (the pole fell) and truncated (time ran out)
        observation, reward, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            print("Episode finished after {} timesteps".format(t+1))
            break

# clean exit
env.close()
if frames:  # no window: the first episode as an animated GIF
    from PIL import Image

    gif = Path(__file__).resolve().parent / f"{args.env.split('/')[-1].split('-v')[0].lower()}.gif"
    images = [Image.fromarray(frame) for frame in frames]
    images[0].save(gif, save_all=True, append_images=images[1:], duration=40, loop=0)
    print(f"animation saved to {gif}")
