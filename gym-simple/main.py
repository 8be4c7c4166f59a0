"""OpenAI Gym, today: Gymnasium's catalog, CartPole's spaces, and CartPole played.

Lists the installed environments, makes CartPole-v0 as the post does (or --env, such as
the post's MsPacman-v0), prints its action and observation spaces, then plays episodes
with random actions. The first one shows in a window where one opens, else it is saved as
an animated GIF beside this script (cartpole.gif for CartPole-v0), or as --out.
`--agent keras` first trains a small Keras policy until it solves the environment, saves
it as policy.keras beside the GIF, and plays its episode instead.

    cd gym-simple && python main.py [--env MsPacman-v0] [--episodes 20] [--seed 0] [--no-render]
    cd gym-simple && python main.py --agent keras
"""
import argparse
import difflib
import os
import signal
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
KERAS_JSON = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"), "keras.json")
BACKENDS = ("tensorflow", "jax", "torch")
PYGAME = 'pip install "gymnasium[classic-control]"'


def main():
    args = parse_args()
    render_mode = choose_render_mode(args)  # beyond the post: a window if one opens, else frames for a GIF

    import gymnasium as gym  # Gymnasium, the maintained Gym: `import gym` breaks on NumPy 2
    from gymnasium import envs

    atari = register_atari(gym)  # beyond the post: the Atari games, as MsPacman-v0, if ale-py is installed
    # Gymnasium: the registry is a dict, so the post's envs.registry.all() is gone
    print("Environments: {}".format(", ".join(name for name in envs.registry if name not in atari) + (
        f"; Atari (ale-py): {len(atari)} more, e.g. MsPacman-v0, ALE/Pong-v5" if atari
        else "; Atari games such as MsPacman-v0: pip install ale-py")))
    check_env(gym, args, atari)  # beyond the post: a typo or a missing package in one line

    # load an environment
    env = gym.make(args.env, render_mode=render_mode)  # Gymnasium: rendering is chosen here

    print("Action space: {}".format(env.action_space))
    print("Observation space: {}".format(post_style(env.observation_space)))
    if len(env.observation_space.shape or ()) == 1:  # beyond the post: what CartPole's four numbers range over
        print(f"Observation bounds: low {env.observation_space.low}, high {env.observation_space.high}")

    policy = train_agent(gym, args) if args.agent == "keras" else None  # beyond the post
    frames = play_episodes(env, args, policy)
    env.close()
    if frames:
        save_gif(frames, args.out)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="CartPole-v0", help="environment id (default: CartPole-v0, the post's)")
    parser.add_argument("--episodes", type=int, default=20, help="random-action episodes (default: 20)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--no-render", action="store_true", help="no window and no GIF")
    parser.add_argument("--out", type=gif_file,
                        help="the GIF, where no window opens (default: the env's name beside this script, "
                             "cartpole.gif for CartPole-v0); policy.keras goes beside it")
    parser.add_argument("--agent", choices=["random", "keras"], default="random",
                        help="random actions (the post's), or a Keras policy trained to solve the env")
    parser.add_argument("--iterations", type=int, default=100, help="--agent keras: most training iterations")
    parser.add_argument("--backend", choices=BACKENDS,
                        help="Keras backend for --agent keras (default: KERAS_BACKEND, else keras.json's)")
    parser.add_argument("--smoke", action="store_true", help="a short run: 3 episodes, at most 10 iterations")
    args = parser.parse_args()
    for name, low, high in (("episodes", 1, 10**5), ("iterations", 1, 10**5), ("seed", 0, 2**32 - 1)):
        if not low <= getattr(args, name) <= high:
            parser.error(f"argument --{name}: must be {low} to {high}")
    if args.out is None:  # the env's name: cartpole.gif for CartPole-v0, pong.gif for ALE/Pong-v5
        args.out = HERE / f"{args.env.split('/')[-1].split('-v')[0].lower()}.gif"
        try:  # checked where it will be written to, as if given: before any training
            args.out = gif_file(str(args.out)) if args.agent == "keras" or not args.no_render else args.out
        except argparse.ArgumentTypeError as error:
            parser.error(f"argument --out: {error}")
    return args


def gif_file(text):
    """The GIF: a .gif in a folder that exists, or can be made, and can be written to."""
    path = Path(text).resolve()
    folder = next(p for p in path.parents if p.exists())
    if path.suffix.lower() != ".gif" or path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: name a .gif file")
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot write in {folder}")
    return path


def choose_render_mode(args):
    """"human" (a window) where SDL opens a real one, else "rgb_array": frames for the GIF."""
    if args.no_render:
        return None
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")  # the envs are silent: no sound card needed
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    if sys.platform.startswith("linux") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("SDL_VIDEODRIVER", "x11" if os.environ.get("DISPLAY") else "offscreen")
    try:
        import pygame  # Gymnasium draws the classic environments with it
    except ImportError:
        sys.exit(f"error: rendering needs pygame, which is not installed: {PYGAME}")
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


def check_env(gym, args, atari):
    """Make the environment once, so that a typo or a missing package ends in one line."""
    # Gymnasium calls CartPole-v0 (200 steps) and MsPacman-v0 out of date; the post uses them.
    warnings.filterwarnings("ignore", message=".*is out of date")
    try:
        env = gym.make(args.env)
    except gym.error.DependencyNotInstalled as error:
        sys.exit(f"error: --env {args.env}: {str(error).splitlines()[0]}")
    except ModuleNotFoundError as error:
        sys.exit(f"error: --env {args.env} needs {error.name}, which is not installed: pip install {error.name}")
    except gym.error.Error:
        close = difflib.get_close_matches(args.env, list(gym.envs.registry), n=5, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}?" if close else "see the Environments above"
        sys.exit(f"error: --env {args.env}: no such environment; {hint}" + ("" if atari else
                 " (the Atari games, as MsPacman-v0, need ale-py: pip install ale-py)"))
    if args.agent == "keras" and not (hasattr(env.action_space, "n") and len(env.observation_space.shape or ()) == 1):
        sys.exit(f"error: --agent keras needs discrete actions and a flat observation; {args.env} has "
                 f"{post_style(env.action_space)} and {post_style(env.observation_space)}")
    env.close()


def post_style(space):
    """The post's short form of a space: Box(4,) where Gymnasium prints all of its bounds."""
    return f"Box{space.shape}" if type(space).__name__ == "Box" else str(space)


def play_episodes(env, args, policy=None):
    """Episodes of random actions (the trained policy's one); the frames of the first, if a GIF is made."""
    env.action_space.seed(args.seed)
    frames = []
    for i_episode in range(1 if policy else 3 if args.smoke else args.episodes):
        observation, info = env.reset(seed=args.seed if i_episode == 0 else None)
        total, done, t = 0.0, False, 0
        while not done and t < 100_000:  # an env with no end of its own ends here
            if env.render_mode == "rgb_array" and i_episode == 0:
                frames.append(env.render())
            if policy:
                action = int(np.argmax(policy.predict_on_batch(observation[None].astype("float32"))[0]))
            else:
                action = env.action_space.sample()
            observation, reward, terminated, truncated, info = env.step(action)
            total, done, t = total + reward, terminated or truncated, t + 1
        if policy:
            print("Trained agent's episode: {} timesteps, reward {:g}".format(t, total))
        else:
            print("Episode finished after {} timesteps".format(t))
        if frames and i_episode == 0:
            frames.append(env.render())  # the last state: the pole as it falls
    return frames


def save_gif(frames, path, fps=30):
    """The frames as an animated GIF, at most 300 pixels wide (CartPole's 600 are halved)."""
    from PIL import Image

    images = [Image.fromarray(frame) for frame in frames]
    images = [image.reduce(max(1, -(-images[0].width // 300))) for image in images]
    path.parent.mkdir(parents=True, exist_ok=True)
    images[0].save(path, save_all=True, append_images=images[1:], duration=1000 // fps, loop=0)
    print(f"animation ({len(frames)} frames) saved to {path}")


def train_agent(gym, args):
    """The cross-entropy method: play 16 episodes, keep the best 30%, fit the policy to their
    actions; until the env's reward threshold is the average of the last 100 episodes."""
    keras = import_keras(args.backend)
    keras.utils.set_random_seed(args.seed)
    envs = [gym.make(args.env) for _ in range(16)]
    rng = np.random.default_rng(args.seed)
    n_actions = int(envs[0].action_space.n)
    threshold = envs[0].spec.reward_threshold or float("inf")
    policy = keras.Sequential([keras.Input(envs[0].observation_space.shape),
                               keras.layers.Dense(128, activation="relu"),
                               keras.layers.Dense(n_actions, activation="softmax")])
    policy.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")

    recent, start = [], time.perf_counter()
    iterations = min(args.iterations, 10) if args.smoke else args.iterations
    for iteration in range(1, iterations + 1):
        # 16 episodes side by side: one call of the policy a step for all that still run
        observations = [env.reset(seed=args.seed * 100_000 + iteration * 16 + i)[0] for i, env in enumerate(envs)]
        episodes = [([], [], 0.0) for _ in envs]
        running = list(range(len(envs)))
        while running:
            probabilities = np.asarray(policy.predict_on_batch(np.array([observations[i] for i in running])), "float64")
            for i, p in zip(list(running), probabilities):
                action = rng.choice(n_actions, p=p / p.sum())
                states, actions, total = episodes[i]
                states.append(observations[i])
                actions.append(action)
                observations[i], reward, terminated, truncated, _ = envs[i].step(action)
                episodes[i] = (states, actions, total + reward)
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
            print(f"Solved {args.env} after {iteration} iterations ({iteration * len(envs)} episodes, "
                  f"{time.perf_counter() - start:.0f} s): average reward {np.mean(recent):.1f} "
                  f"over the last 100 episodes (threshold {threshold})")
            break
    else:
        print(f"Not solved in {iterations} iterations: 100-episode average {np.mean(recent):.1f} "
              f"(threshold {threshold})")
    path, tmp = args.out.with_name("policy.keras"), args.out.with_name(".tmp-policy.keras")  # Keras wants .keras
    policy.save(tmp)
    os.replace(tmp, path)  # the trained policy: replaced whole or not at all
    print(f"policy saved to {path}")
    return policy


def import_keras(backend):
    """Keras on this backend (else KERAS_BACKEND's, else keras.json's), or one line saying why not."""
    os.environ["KERAS_BACKEND"] = backend or os.environ.get("KERAS_BACKEND", "")
    if os.environ["KERAS_BACKEND"] not in ("", *BACKENDS):  # numpy, openvino: Keras's backends that only predict
        sys.exit(f"error: KERAS_BACKEND={os.environ['KERAS_BACKEND']}: the Keras backends that train are {', '.join(BACKENDS)}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow reads it once, at import
    try:
        import keras
    except ModuleNotFoundError as error:
        name = (error.name or "keras").split(".")[0]
        sys.exit(f"error: {name} is not installed (Keras needs it): pip install -r requirements"
                 f"{'-' + name if name in ('jax', 'torch') else ''}.txt")
    except (ValueError, AttributeError) as error:  # Keras's checks of its keras.json
        sys.exit(f"error: Keras refuses {KERAS_JSON}: "
                 f"{error if isinstance(error, ValueError) else f'it must hold a JSON object ({error})'}")
    if keras.backend.backend() not in BACKENDS:
        sys.exit(f"error: {KERAS_JSON}: the Keras backends that train are {', '.join(BACKENDS)}, not {keras.backend.backend()}")
    print(f"Keras backend: {keras.backend.backend()}")
    return keras


def on_ctrl_c(signum, frame):
    """Ctrl-C: one line and exit 130 at once, whatever a library would make of a KeyboardInterrupt."""
    try:
        sys.stdout.flush()
    finally:
        print("interrupted", file=sys.stderr)
        os._exit(130)


if __name__ == "__main__":
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not where it is ignored
        signal.signal(signal.SIGINT, on_ctrl_c)
    try:
        sys.stdout.reconfigure(errors="backslashreplace")  # any file name prints, whatever the terminal takes
        main()
        sys.stdout.flush()
    except BrokenPipeError:  # `python main.py | head`: stop quietly, as Python's docs advise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as error:  # a full disk, say
        sys.exit(f"error: {error}")
