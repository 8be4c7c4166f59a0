"""OpenAI Gym, today: Gymnasium's catalog, CartPole's spaces, and CartPole played.

Lists the installed environments, makes CartPole-v0 as the post does (or --env, such as the
post's MsPacman-v0), prints its spaces and plays episodes of random actions. The first shows
in a window where one opens, else it is saved as a GIF beside this script (or --out).
    cd gym-simple && python main.py [--env MsPacman-v0] [--episodes 20] [--seed 0] [--no-render]
"""
import argparse
import contextlib
import os
import signal
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="CartPole-v0", help="environment id (default: CartPole-v0, the post's)")
    parser.add_argument("--episodes", type=int, default=20, help="random-action episodes (default: 20)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--no-render", action="store_true", help="no window and no GIF")
    parser.add_argument("--out", type=Path, help="the GIF, where no window opens (default: the env's name, here)")
    parser.add_argument("--smoke", action="store_true", help="a short run with the same outputs: 3 episodes")
    args = parser.parse_args()
    if not 0 <= args.seed < 2**32:  # the seeds NumPy takes
        parser.error(f"argument --seed: must be 0 to {2**32 - 1}")
    if args.out and args.out.suffix.lower() != ".gif":
        parser.error(f"argument --out: {args.out}: name a .gif file")
    render_mode = choose_render_mode(args.no_render)  # beyond the post: a window if one opens, else a GIF

    import gymnasium as gym  # Gymnasium, the maintained Gym: `import gym` breaks on NumPy 2
    from gymnasium import envs

    atari = register_atari(gym)  # beyond the post: the Atari games, as MsPacman-v0, if ale-py is installed
    # Gymnasium: the registry is a dict, so the post's envs.registry.all() is gone
    print("Environments: {}".format(", ".join(name for name in envs.registry if name not in atari) + (
        f"; Atari (ale-py): {len(atari)} more, e.g. MsPacman-v0, ALE/Pong-v5" if atari
        else "; Atari games such as MsPacman-v0: pip install ale-py")))

    # load an environment
    with make_errors(args.env, atari):  # beyond the post: Gymnasium's own line on a name it does not know
        env = gym.make(args.env, render_mode=render_mode)  # Gymnasium: rendering is chosen here

    print("Action space: {}".format(env.action_space))
    print("Observation space: {}".format(post_style(env.observation_space)))
    if len(env.observation_space.shape or ()) == 1:  # beyond the post: what CartPole's four numbers range over
        print(f"Observation bounds: low {env.observation_space.low}, high {env.observation_space.high}")

    frames = play_episodes(env, args.seed, 3 if args.smoke else args.episodes)
    env.close()
    if frames:  # beyond the post: headless, the first episode as a GIF
        save_gif(frames, args.out or HERE / gif_name(args.env))


def choose_render_mode(no_render):
    """"human" (a window) where SDL opens a real one, else "rgb_array": frames for a GIF; None with --no-render."""
    if no_render:
        return None
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")  # the envs are silent: no sound card needed
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    if sys.platform.startswith("linux") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("SDL_VIDEODRIVER", "x11" if os.environ.get("DISPLAY") else "offscreen")
    try:
        import pygame  # Gymnasium draws the classic environments with it
    except ImportError:
        sys.exit('error: rendering needs pygame, which is not installed: pip install "gymnasium[classic-control]"')
    try:
        pygame.display.init()
        window = pygame.display.get_driver() not in ("offscreen", "dummy")
        pygame.display.quit()
    except pygame.error as error:  # a display that is set but does not answer (a stale ssh -X)
        print(f"No window ({error}): the first episode goes to the GIF")
        os.environ["SDL_VIDEODRIVER"] = "offscreen"
        window = False
    return "human" if window else "rgb_array"


def register_atari(gym):
    """The ids of ale-py's Atari games, registered with Gymnasium, quietly; none without ale-py."""
    try:
        import ale_py
    except ImportError:
        return set()
    ale_py.ALEInterface.setLoggerMode(ale_py.LoggerMode.Error)  # no banner on each game's start
    gym.register_envs(ale_py)
    return {name for name, spec in gym.envs.registry.items() if str(spec.entry_point).startswith("ale_py")}


@contextlib.contextmanager
def make_errors(env_id, atari):
    """Around gym.make: Gymnasium's own line on a name it does not know ("Did you mean") or a missing package."""
    from gymnasium.error import Error

    warnings.filterwarnings("ignore", message=".*is out of date")  # CartPole-v0, MsPacman-v0: the post's
    try:
        yield
    except ModuleNotFoundError as error:  # phys2d's flax, say
        sys.exit(f"error: --env {env_id} needs {error.name}, which is not installed: pip install {error.name}")
    except Error as error:
        hint = "" if atari else " (the Atari games need ale-py: pip install ale-py)"
        sys.exit(f"error: --env {env_id}: {str(error).splitlines()[0]}{hint}")


def post_style(space):
    """The post's short form of a space: Box(4,) where Gymnasium prints all of its bounds."""
    return f"Box{space.shape}" if type(space).__name__ == "Box" else str(space)


def play_episodes(env, seed, episodes, policy=None):
    """Episodes of random actions (or of policy(observation)); the frames of the first, for a GIF."""
    env.action_space.seed(seed)
    frames = []
    for i_episode in range(episodes):
        observation, info = env.reset(seed=seed if i_episode == 0 else None)
        total, done, t = 0.0, False, 0
        while not done and t < 100_000:  # an env with no end of its own ends here
            if env.render_mode == "rgb_array" and i_episode == 0:
                frames.append(env.render())
            action = policy(observation) if policy else env.action_space.sample()
            observation, reward, terminated, truncated, info = env.step(action)
            total, done, t = total + reward, terminated or truncated, t + 1
        print(f"Trained agent's episode: {t} timesteps, reward {total:g}" if policy
              else "Episode finished after {} timesteps".format(t))
        if frames and i_episode == 0:
            frames.append(env.render())  # the last state: the pole as it falls
    return frames


def gif_name(env_id):
    """The env's GIF: cartpole.gif for CartPole-v0, pong.gif for ALE/Pong-v5."""
    return f"{env_id.split('/')[-1].split('-v')[0].lower()}.gif"


def save_gif(frames, path, fps=30):
    """The frames (H, W, 3 uint8 each) as an animated GIF, at most 300 pixels wide (CartPole's 600 halved)."""
    from PIL import Image

    images = [Image.fromarray(frame) for frame in frames]
    images = [image.reduce(max(1, -(-images[0].width // 300))) for image in images]
    images[0].save(path, save_all=True, append_images=images[1:], duration=1000 // fps, loop=0)
    print(f"animation ({len(frames)} frames) saved to {Path(path).resolve()}")


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
