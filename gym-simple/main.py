"""OpenAI Gym, today: Gymnasium's catalog of environments, CartPole's spaces, CartPole played.

Gymnasium is the maintained Gym. Lists the installed environments, makes the post's CartPole-v0
(or --env, such as the post's MsPacman-v0 where ale-py is installed), prints its spaces and
plays episodes of random actions: in a window where one opens, else the first episode is saved
as a GIF beside this script, named after the environment.
    cd gym-simple && python main.py [--env MsPacman-v0] [--episodes 20]
"""
import argparse
import os
import sys
import warnings
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--env", default="CartPole-v0", help="environment id (default: the post's CartPole-v0)")
parser.add_argument("--episodes", type=int, default=20, help="episodes of random actions (default: 20)")
args = parser.parse_args()

# Gymnasium draws the classic environments with pygame; a window only where SDL really opens one
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
if sys.platform.startswith("linux") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("SDL_VIDEODRIVER", "x11" if os.environ.get("DISPLAY") else "offscreen")
import pygame

try:
    pygame.display.init()  # fails where DISPLAY is set but nothing answers
    window = pygame.display.get_driver() not in ("offscreen", "dummy")
except pygame.error:
    window = False
    os.environ["SDL_VIDEODRIVER"] = "offscreen"
pygame.display.quit()

import gymnasium as gym  # Gymnasium: the Gym of the post, maintained
from gymnasium import envs

try:  # the Atari games, the post's MsPacman-v0 among them, where ale-py is installed
    import ale_py
    gym.register_envs(ale_py)
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
for i_episode in range(args.episodes):
    observation, info = env.reset()  # Gymnasium: reset returns the observation and an info dict
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
