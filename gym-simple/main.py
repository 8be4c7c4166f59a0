"""OpenAI Gym, today: Gymnasium's catalog, CartPole's spaces, and CartPole played.

Lists the installed environments, loads CartPole-v0 as the post does and prints its
action and observation spaces, then plays episodes with random actions as the
original sample did. With a display the cart moves in a window; headless, the first
episode is saved as an animated GIF (cartpole.gif beside this script, or --out).
`--agent keras` first trains a small Keras policy with the cross-entropy method until
it solves CartPole-v0 (average reward >= 195 over 100 consecutive episodes), saves it
to policy.keras, and plays its episode instead.

    cd gym-simple && python main.py [--episodes 20] [--seed 0] [--no-render]
    cd gym-simple && python main.py --agent keras
"""
import argparse
import difflib
import os
import signal
import sys
import threading
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
BACKENDS = ("tensorflow", "jax", "torch")
INSTALL = 'pip install "gymnasium[classic-control]"'


def main():
    args = parse_args()
    render_mode = choose_render_mode(args)  # beyond the post: a window, else frames for a GIF

    import gymnasium as gym  # Gymnasium, the maintained Gym: `import gym` breaks on NumPy 2
    from gymnasium import envs

    # Gymnasium: the registry is a dict of specs, so the post's envs.registry.all() is gone
    print("Environments: {}".format(", ".join(envs.registry)))
    check_env(gym, args.env)  # beyond the post: a typo gets close matches, in one line

    # load an environment
    env = gym.make(args.env, render_mode=render_mode)  # Gymnasium: rendering is chosen here

    print("Action space: {}".format(env.action_space))
    print("Observation space: {}".format(post_style(env.observation_space)))
    if hasattr(env.observation_space, "low"):  # beyond the post: what the four numbers range over
        print("Observation bounds: low {}, high {}".format(env.observation_space.low, env.observation_space.high))

    policy = train_agent(gym, args) if args.agent == "keras" else None  # beyond the post
    frames = play_episodes(env, args, policy)  # the animation: random actions, or the agent's
    env.close()
    if frames:
        save_gif(frames, args.out)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.error = lambda message: parser.exit(2, f"{parser.prog}: error: {message} (see --help)\n")
    parser.add_argument("--env", default="CartPole-v0", help="environment id (default: CartPole-v0, the post's)")
    parser.add_argument("--episodes", type=int_in(1, 100_000), default=20,
                        help="random-action episodes to play (default: 20)")
    parser.add_argument("--seed", type=int_in(0, 2**32 - 1), default=0, help="random seed (default: 0)")
    parser.add_argument("--no-render", action="store_true", help="no window and no GIF")
    parser.add_argument("--out", type=gif_path, default=HERE / "cartpole.gif",
                        help="the GIF written when there is no display (default: %(default)s); "
                             "--agent keras saves policy.keras beside it")
    parser.add_argument("--agent", choices=["random", "keras"], default="random",
                        help="random actions (the post) or a Keras policy trained to solve the env")
    parser.add_argument("--iterations", type=int_in(1, 100_000), default=100,
                        help="--agent keras: most training iterations of 16 episodes (default: 100)")
    parser.add_argument("--backend", choices=BACKENDS,
                        help="Keras backend for --agent keras (default: KERAS_BACKEND, else "
                             "~/.keras/keras.json, else tensorflow)")
    parser.add_argument("--smoke", action="store_true",
                        help="a short run with the same outputs (3 episodes; at most 10 iterations)")
    return parser.parse_args()


def int_in(low, high):
    """An argparse type: a whole number from low to high, or one line saying why not."""
    def parse(text):
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low} to {high:,}, got {value:,}")
        return value
    parse.__name__ = "whole number"  # argparse's word for a value int() refuses
    return parse


def gif_path(text):
    """The output GIF: a .gif in a folder that exists or can be made, checked before any work."""
    path = Path(text).resolve()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder: name a .gif file")
    if path.suffix.lower() != ".gif":
        raise argparse.ArgumentTypeError(f"{text}: must end in .gif")
    folder = next(p for p in path.parents if p.exists())
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot write in {folder}")
    return path


def choose_render_mode(args):
    """A window where there is a display; elsewhere frames for the GIF, drawn off screen."""
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")  # CartPole is silent: no audio server needed
    if args.no_render:
        return None
    mode = "human"
    if sys.platform not in ("darwin", "win32") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # headless: SDL would look for a screen and complain
        mode = "rgb_array"
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    try:
        import pygame  # noqa: F401  (Gymnasium draws CartPole with it)
    except ImportError:
        sys.exit(f"error: rendering needs pygame, which is not installed: {INSTALL}")
    return mode


def check_env(gym, env_id):
    """Make the environment once, so that a typo or a missing package ends in one line."""
    # Gymnasium warns that CartPole-v0 (200 steps) is out of date next to v1; the post uses v0.
    warnings.filterwarnings("ignore", message=".*is out of date")
    try:
        gym.make(env_id).close()
    except gym.error.DependencyNotInstalled as error:
        sys.exit(f"error: --env {env_id} needs a package that is missing ({str(error).splitlines()[0]})")
    except ModuleNotFoundError as error:
        sys.exit(f"error: --env {env_id} needs {error.name}, which is not installed: pip install {error.name}")
    except gym.error.Error:
        close = difflib.get_close_matches(env_id, list(gym.envs.registry), n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see the Environments list above"
        sys.exit(f"error: --env {env_id}: no such environment{hint}")


def post_style(space):
    """The post's short form of a space: Box(4,) where Gymnasium prints all the bounds."""
    return f"Box{space.shape}" if type(space).__name__ == "Box" else str(space)


def play_episodes(env, args, policy=None):
    """Random actions as the original sample (or the trained policy's); the first episode's frames."""
    import numpy as np

    env.action_space.seed(args.seed)
    frames = []
    episodes = 1 if policy else 3 if args.smoke else args.episodes
    for i_episode in range(episodes):
        observation, info = env.reset(seed=args.seed if i_episode == 0 else None)
        total = 0.0
        for t in range(100_000):
            if env.render_mode == "rgb_array" and i_episode == 0:
                frames.append(env.render())
            if policy:
                action = int(np.argmax(policy.predict_on_batch(observation[None].astype("float32"))[0]))
            else:
                action = env.action_space.sample()
            observation, reward, terminated, truncated, info = env.step(action)
            total += reward
            if terminated or truncated:
                if policy:
                    print("Trained agent's episode: {} timesteps, reward {:g}".format(t + 1, total))
                else:
                    print("Episode finished after {} timesteps".format(t + 1))
                break
        if frames and i_episode == 0:
            frames.append(env.render())  # the last state: the pole as it falls
    return frames


def save_gif(frames, path, fps=30):
    """An animated GIF of the frames, by Matplotlib's PillowWriter; replaced whole or not at all."""
    import matplotlib.pyplot as plt
    from matplotlib import animation

    height, width = frames[0].shape[:2]
    fig = plt.figure(figsize=(width / 200, height / 200), dpi=100)  # half size keeps the GIF small
    ax = fig.add_axes((0, 0, 1, 1))
    ax.axis("off")
    shown = ax.imshow(frames[0])
    movie = animation.FuncAnimation(fig, lambda frame: [shown.set_data(frame)], frames=frames)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        movie.save(tmp, writer=animation.PillowWriter(fps=fps))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
        plt.close(fig)
    print(f"animation ({len(frames)} frames) saved to {path}")


def import_keras(args):
    """Import Keras on --backend (else as KERAS_BACKEND or keras.json say), quietly, and seed it."""
    if args.backend:
        os.environ["KERAS_BACKEND"] = args.backend
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # read only when TensorFlow is imported
    sys.stderr.flush()
    stderr, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # TensorFlow prints its first C++ log lines before that level applies
    try:
        import keras
        keras.utils.set_random_seed(args.seed)  # seeds Python, NumPy and the backend
    except ModuleNotFoundError as error:
        name = (error.name or "keras").split(".")[0]
        extra = f"-{name}" if name in ("jax", "torch") else ""
        sys.exit(f"error: {name!r} is not installed (Keras needs it): pip install -r requirements{extra}.txt")
    except ValueError as error:  # "Unable to import backend : theano"
        sys.exit(f"error: unknown Keras backend {str(error).split(': ')[-1]!r}: use one of {', '.join(BACKENDS)}")
    finally:
        os.dup2(stderr, 2)
        os.close(stderr)
        os.close(devnull)
    print(f"Keras backend: {keras.backend.backend()}")
    return keras


def train_agent(gym, args):
    """The cross-entropy method: play 16 episodes, keep the best 30%, fit the policy to their actions."""
    import numpy as np

    envs = [gym.make(args.env) for _ in range(16)]
    if not hasattr(envs[0].action_space, "n") or len(envs[0].observation_space.shape or ()) != 1:
        sys.exit(f"error: --agent keras needs discrete actions and a flat observation; "
                 f"{args.env} has {post_style(envs[0].action_space)} and {post_style(envs[0].observation_space)}")
    keras = import_keras(args)
    rng = np.random.default_rng(args.seed)
    n_obs, n_actions = envs[0].observation_space.shape[0], int(envs[0].action_space.n)
    threshold = envs[0].spec.reward_threshold or float("inf")

    policy = keras.Sequential([
        keras.Input(shape=(n_obs,)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(n_actions, activation="softmax"),
    ])
    policy.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")

    def play_batch(first_seed):
        """16 episodes side by side, one policy call per step for all that still run."""
        observations = [env.reset(seed=first_seed + i)[0] for i, env in enumerate(envs)]
        steps = [([], [], 0.0) for _ in envs]
        running = list(range(len(envs)))
        while running:
            probs = policy.predict_on_batch(np.array([observations[i] for i in running]))
            for i, p in zip(list(running), np.asarray(probs, dtype="float64")):
                action = rng.choice(n_actions, p=p / p.sum())
                states, actions, total = steps[i]
                states.append(observations[i])
                actions.append(action)
                observations[i], reward, terminated, truncated, _ = envs[i].step(action)
                steps[i] = (states, actions, total + reward)
                if terminated or truncated:
                    running.remove(i)
        return steps

    recent, start = [], time.perf_counter()
    iterations = min(args.iterations, 10) if args.smoke else args.iterations
    for iteration in range(1, iterations + 1):
        batch = play_batch(args.seed * 100_000 + iteration * 16)
        rewards = np.array([total for _, _, total in batch])
        recent = (recent + rewards.tolist())[-100:]
        elite_bound = np.percentile(rewards, 70)
        elite = [(s, a) for s, a, total in batch if total >= elite_bound]
        states = np.concatenate([s for s, _ in elite]).astype("float32")
        actions = np.concatenate([a for _, a in elite])
        loss = policy.train_on_batch(states, actions)
        average = float(np.mean(recent))
        print(f"iteration {iteration:3d}: mean reward {rewards.mean():6.1f}, "
              f"100-episode average {average:6.1f}, loss {float(np.asarray(loss).ravel()[0]):.3f}")
        if len(recent) == 100 and average >= threshold:
            print(f"Solved {args.env} after {iteration} iterations ({iteration * len(envs)} episodes, "
                  f"{time.perf_counter() - start:.0f} s): average reward {average:.1f} "
                  f"over the last 100 episodes (threshold {threshold})")
            break
    else:
        print(f"Not solved in {iterations} iterations: 100-episode average {np.mean(recent):.1f} "
              f"(threshold {threshold})")
    for env in envs:
        env.close()

    path = args.out.with_name("policy.keras")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")  # still ends .keras, as Keras requires
    try:
        policy.save(tmp)
        os.replace(tmp, path)  # replaced whole or not at all
    finally:
        tmp.unlink(missing_ok=True)
    print(f"policy saved to {path}")
    return policy


def run_with_clean_exits(main):
    """Run main(): Ctrl-C, a closed pipe or a full disk end in one line and the shell's exit code.

    Python raises KeyboardInterrupt in whatever code is running, and a library can swallow it (in a
    gc callback: JAX has one) or turn it into another error (TensorFlow tracing a function). So Ctrl-C
    is remembered, never shows a traceback, and is pressed again each second until main() is left.
    """
    pressed = threading.Event()

    def on_ctrl_c(signum, frame):
        if not pressed.is_set():
            pressed.set()
            threading.Thread(target=press_again, daemon=True).start()
        raise KeyboardInterrupt

    def press_again():
        while True:
            time.sleep(1)
            os.kill(os.getpid(), signal.SIGINT)

    def unless_ctrl_c(unraisable, report=sys.unraisablehook):  # "Exception ignored in ...": not for Ctrl-C
        if not issubclass(unraisable.exc_type, KeyboardInterrupt):
            report(unraisable)

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not if started with it ignored (nohup)
        signal.signal(signal.SIGINT, on_ctrl_c)
        sys.unraisablehook = unless_ctrl_c
    try:
        main()
        error = None
    except BaseException as caught:
        error = caught
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # main() is left: Ctrl-C has done its work
    if pressed.is_set() or isinstance(error, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        sys.exit(130)
    if isinstance(error, BrokenPipeError):  # e.g. `python main.py | head -1`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    if isinstance(error, OSError):  # e.g. a full disk
        sys.exit(f"error: {error.filename or 'output'}: {error.strerror or error}")
    if error is not None:
        raise error


if __name__ == "__main__":
    run_with_clean_exits(main)
