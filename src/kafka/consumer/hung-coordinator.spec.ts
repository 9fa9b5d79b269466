import {
  HungCoordinator,
  type HungCoordinatorHooks,
} from './hung-coordinator.js';

/** Hooks that record their calls; `answers` and `commits` are the scripted outcomes. */
function scripted(answers: boolean[], commits: boolean[]) {
  const calls: string[] = [];
  const hooks: HungCoordinatorHooks = {
    pause: () => void calls.push('pause'),
    resume: () => void calls.push('resume'),
    commit: async () => (calls.push('commit'), commits.shift() ?? true),
    answers: async () => (calls.push('probe'), answers.shift() ?? true),
    rejoin: async () => void calls.push('rejoin'),
    active: () => true,
  };
  return { calls, hooks };
}

describe('HungCoordinator', () => {
  it('a coordinator that stops answering: pauses, waits until the group answers again, rejoins when a commit still times out', async () => {
    const { calls, hooks } = scripted([false, false, true], [false]);

    await new HungCoordinator(hooks, 1).recover();

    expect(calls).toEqual([
      'pause',
      'probe',
      'probe',
      'probe',
      'commit',
      'rejoin',
    ]);
  });

  it('a probe that failed once (another broker hung) rejoins nothing when the commit then goes through', async () => {
    const { calls, hooks } = scripted([false, true], [true]);

    await new HungCoordinator(hooks, 1).recover();

    expect(calls).toEqual(['pause', 'probe', 'probe', 'commit', 'resume']);
  });

  it('a coordinator that answers but holds commits (a frozen follower): pauses, retries the commit, resumes once it goes through', async () => {
    const { calls, hooks } = scripted([true, true], [false, true]);

    await new HungCoordinator(hooks, 1).recover();

    expect(calls).toEqual([
      'pause',
      'probe',
      'commit',
      'probe',
      'commit',
      'resume',
    ]);
  });

  it('a coordinator that answers while commits keep failing: rejoins once they failed for the session, saying so meanwhile', async () => {
    const { calls, hooks } = scripted(
      Array<boolean>(1_000).fill(true),
      Array<boolean>(1_000).fill(false),
    );
    const said: string[] = [];
    hooks.stillPaused = (_ms, why) => said.push(why);

    await new HungCoordinator(hooks, 1, 5, 30).recover();

    expect(calls.at(-1)).toBe('rejoin');
    expect(calls).not.toContain('resume');
    expect(said.length).toBeGreaterThan(0);
    expect(said[0]).toBe(
      'the group coordinator answers, but commits still fail',
    );
  });

  it('a coordinator silent for a session (a long freeze, every broker down): rejoins once the group answers, without a commit on the old client', async () => {
    const { calls, hooks } = scripted([false, false, true], []);

    await new HungCoordinator(hooks, 1, 10_000, 0).recover();

    expect(calls).toEqual(['pause', 'probe', 'probe', 'probe', 'rejoin']);
  });

  it('a client that crashed while the coordinator was silent: waits for its restart to join, then commits through it instead of rejoining', async () => {
    const { calls, hooks } = scripted([false, true], [true]);
    const recovery = new HungCoordinator(
      {
        ...hooks,
        answers: async () => {
          const answer = await hooks.answers();
          // The library's restart is on its way; it joins three polls later.
          if (!answer) recovery.replaced();
          return answer;
        },
      },
      1,
      10_000,
      0,
    );
    let polls = 0;
    const joining = setInterval(() => {
      if (++polls === 3) {
        calls.push('joined');
        recovery.fresh();
        clearInterval(joining);
      }
    }, 5);

    await recovery.recover();
    clearInterval(joining);

    expect(calls).toEqual([
      'pause',
      'probe',
      'joined',
      'probe',
      'commit',
      'resume',
    ]);
  });

  it('runs one recovery for commits that time out together', async () => {
    const { calls, hooks } = scripted([true], [true]);
    const recovery = new HungCoordinator(hooks, 1);

    await Promise.all([recovery.recover(), recovery.recover()]);

    expect(calls.filter((c) => c === 'pause')).toHaveLength(1);
    expect(recovery.active).toBe(false);
  });

  it('stops trying once shutdown began', async () => {
    const { calls, hooks } = scripted([false], []);

    await new HungCoordinator({ ...hooks, active: () => false }, 1).recover();

    expect(calls).toEqual(['pause']);
  });
});
