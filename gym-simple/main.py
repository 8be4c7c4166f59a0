"""OpenAI Gym, today: Gymnasium's catalog, CartPole's spaces, and CartPole played.

Lists the installed environments, loads CartPole-v0 as the post does and prints
its action and observation spaces, then plays episodes with random actions as
the original sample did. With a display the cart moves in a window; headless,
the first episode is saved as an animated GIF (cartpole.gif beside this script).
`--agent keras` trains a small Keras policy with the cross-entropy method until
it solves CartPole-v0 (average reward >= 195 over 100 consecutive episodes),
saves it, and records its episode as the GIF instead.

    cd gym-simple && python main.py [--episodes 20] [--seed 0] [--no-render]
    cd gym-simple && python main.py --agent keras
"""
import argparse
import contextlib
import difflib
import importlib.util
import os
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
BACKENDS = ("tensorflow", "jax", "torch")  # each one also the name of its package
INSTALL = 'pip install "gymnasium[classic-control]"'


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):  # one line, not usage + error
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse_args():
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="CartPole-v0", help="environment id (default: CartPole-v0)")
    parser.add_argument("--episodes", type=positive_int, default=20,
                        help="random-action episodes to play (default: 20)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--no-render", action="store_true", help="no window and no GIF")
    parser.add_argument("--out", type=Path, default=HERE / "cartpole.gif",
                        help="the GIF written when there is no display (default: %(default)s)")
    parser.add_argument("--agent", choices=["random", "keras"], default="random",
                        help="random actions (the post) or a Keras policy trained to solve CartPole")
    parser.add_argument("--iterations", type=positive_int, default=100,
                        help="--agent keras: most training iterations of 16 episodes (default: 100)")
    parser.add_argument("--backend", help="Keras backend for --agent keras: tensorflow (default), jax or torch")
    parser.add_argument("--smoke", action="store_true",
                        help="a tiny run for tests (3 episodes; at most 10 training iterations)")
    return parser.parse_args()


def choose_backend(name):
    """Set KERAS_BACKEND before anything imports Keras; fail in one line."""
    name = name or os.environ.get("KERAS_BACKEND") or "tensorflow"
    if name not in BACKENDS:
        sys.exit(f"error: unknown Keras backend {name!r}: use tensorflow, jax or torch "
                 "(pip install -r requirements-jax.txt or requirements-torch.txt adds the others)")
    if importlib.util.find_spec(name) is None:
        extra = "" if name == "tensorflow" else f"-{name}"
        sys.exit(f"error: Keras backend {name!r} is not installed: pip install -r requirements{extra}.txt")
    os.environ["KERAS_BACKEND"] = name
    # TF_CPP_MIN_LOG_LEVEL only works if set before TensorFlow is imported.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return name


@contextlib.contextmanager
def quiet_stderr():
    """Hide the C++ log lines TensorFlow prints on import, before its log level applies."""
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def have_display():
    if os.environ.get("SDL_VIDEODRIVER") == "dummy":
        return False
    return sys.platform in ("darwin", "win32") or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def short(space):
    """The post's short form of a space: Discrete(2), Box(4,)."""
    if type(space).__name__ == "Box":
        return f"Box{space.shape}"
    return str(space)


def make(gym, env_id, render_mode=None):
    try:
        return gym.make(env_id, render_mode=render_mode)
    except gym.error.DependencyNotInstalled as error:
        sys.exit(f"error: {env_id} needs a package that is missing ({str(error).splitlines()[0]}); "
                 f"for CartPole's rendering: {INSTALL}")
    except gym.error.Error:
        close = difflib.get_close_matches(env_id, list(gym.envs.registry), n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see the Environments list above"
        sys.exit(f"error: --env {env_id}: no such environment{hint}")


def render(env, gym):
    try:
        return env.render()
    except gym.error.DependencyNotInstalled:
        sys.exit(f"error: rendering needs pygame, which is not installed: {INSTALL}")


def save_gif(frames, path, fps=30):
    """An animated GIF of the frames, written by Matplotlib's PillowWriter."""
    import matplotlib.pyplot as plt
    from matplotlib import animation

    height, width = frames[0].shape[:2]
    fig = plt.figure(figsize=(width / 200, height / 200), dpi=100)  # half size keeps the GIF small
    ax = fig.add_axes((0, 0, 1, 1))
    ax.axis("off")
    shown = ax.imshow(frames[0])
    movie = animation.FuncAnimation(fig, lambda frame: [shown.set_data(frame)], frames=frames)
    path.parent.mkdir(parents=True, exist_ok=True)
    movie.save(path, writer=animation.PillowWriter(fps=fps))
    plt.close(fig)
    print(f"animation ({len(frames)} frames) saved to {path}")


def play_random(gym, args, render_mode):
    env = make(gym, args.env, render_mode)
    env.action_space.seed(args.seed)
    frames = []
    for i_episode in range(3 if args.smoke else args.episodes):
        observation, info = env.reset(seed=args.seed if i_episode == 0 else None)
        for t in range(10_000):
            if render_mode == "rgb_array" and i_episode == 0:
                frames.append(render(env, gym))
            elif render_mode == "human":
                render(env, gym)
            action = env.action_space.sample()
            observation, reward, terminated, truncated, info = env.step(action)
            if terminated or truncated:
                print("Episode finished after {} timesteps".format(t + 1))
                if frames and i_episode == 0:
                    frames.append(render(env, gym))  # the pole as it falls
                break
    env.close()
    return frames


def train_agent(gym, args, render_mode):
    """The cross-entropy method: play a batch of episodes, keep the best, imitate them."""
    import numpy as np

    backend = choose_backend(args.backend)
    print(f"Keras backend: {backend}")
    with quiet_stderr():  # set_random_seed imports TensorFlow too, whatever the backend
        import keras
        keras.utils.set_random_seed(args.seed)

    rng = np.random.default_rng(args.seed)
    envs = [make(gym, args.env) for _ in range(16)]
    if not hasattr(envs[0].action_space, "n") or len(envs[0].observation_space.shape or ()) != 1:
        sys.exit(f"error: --agent keras needs discrete actions and a flat observation; "
                 f"{args.env} has {short(envs[0].action_space)} and {short(envs[0].observation_space)}")
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

    out_model = args.out.with_name("policy.keras")
    policy.save(out_model)
    print(f"policy saved to {out_model}")

    # the trained agent's own episode, acting on its most likely action
    env = make(gym, args.env, render_mode)
    observation, _ = env.reset(seed=args.seed)
    frames, total, done = [], 0.0, False
    while not done:
        if render_mode == "rgb_array":
            frames.append(render(env, gym))
        elif render_mode == "human":
            render(env, gym)
        action = int(np.argmax(policy.predict_on_batch(observation[None].astype("float32"))[0]))
        observation, reward, terminated, truncated, _ = env.step(action)
        total += reward
        done = terminated or truncated
    env.close()
    print(f"Trained agent's episode: {total:.0f} timesteps")
    return frames


def main():
    args = parse_args()
    # CartPole makes no sound; pygame.init() would otherwise complain where no audio server runs.
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    try:
        import gymnasium as gym
    except ImportError:
        sys.exit(f"error: Gymnasium is not installed: {INSTALL}")

    # Gymnasium warns that CartPole-v0 (200 steps) is out of date next to v1 (500 steps);
    # the post uses v0, and so do we.
    warnings.filterwarnings("ignore", message=".*is out of date")

    # The post's `envs.registry.all()` is gone: the registry is now a dict of specs.
    print("Environments: {} installed: {}".format(len(gym.envs.registry), ", ".join(gym.envs.registry)))

    # load an environment
    env = make(gym, args.env)
    print("Action space: {}".format(short(env.action_space)))
    print("Observation space: {}".format(short(env.observation_space)))
    if hasattr(env.observation_space, "low"):
        print("Observation bounds: low {}, high {}".format(env.observation_space.low,
                                                          env.observation_space.high))
    env.close()

    render_mode = None if args.no_render else ("human" if have_display() else "rgb_array")
    play = train_agent if args.agent == "keras" else play_random
    frames = play(gym, args, render_mode)
    if frames:
        save_gif(frames, args.out)


if __name__ == "__main__":
    try:
        main()
    except OSError as error:  # e.g. an output path that cannot be written
        sys.exit(f"error: {error.filename or 'output'}: {error.strerror or error}")
