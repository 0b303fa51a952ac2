//! Helper threads kept from one evaluation to the next.
//!
//! Training evaluates the cost hundreds of times in a row, each evaluation split over the
//! cores. Starting a thread for every evaluation costs little on an idle laptop, but on a
//! virtual machine whose other core has gone to sleep it took 110-130 µs (median; several
//! ms at worst), and after a pause the second core often joined so late that one thread
//! did the whole evaluation (measured on a 2-core AMD EPYC VM: 2.9 or 6 ms, alternating).
//! So the helpers stay: each waits for the next job, first spinning for [`SPIN`] (training
//! asks again within microseconds), then asleep.
//!
//! A job is a closure that borrows the caller's data; [`Pool::run`] runs it on the calling
//! thread and on up to `helpers` helpers and returns only when every helper is done with
//! it, which is what makes lending the borrowed closure to other threads sound.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// How long an idle helper watches for the next job before it goes to sleep.
const SPIN: Duration = Duration::from_micros(200);

/// A job as the helpers see it (its real lifetime is [`Pool::run`]'s call).
type Job = &'static (dyn Fn() + Sync);

#[derive(Default)]
struct State {
    job: Option<Job>,
    /// Helpers that may still take the current job.
    wanted: usize,
    /// Helpers running the current job.
    running: usize,
    /// A helper's run of the current job panicked.
    panicked: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Bumped for every job: what spinning helpers watch.
    epoch: AtomicU64,
    /// Helpers sleep here until a job comes.
    wake: Condvar,
    /// The caller waits here for its helpers to finish.
    done: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A fixed set of helper threads (see the module documentation).
pub(crate) struct Pool {
    shared: &'static Shared,
    helpers: usize,
    /// One job at a time; a second caller meanwhile gets `false` from [`Pool::run`].
    busy: Mutex<()>,
}

impl Pool {
    /// The engine's pool: one helper per core beyond the first, started on first use.
    pub(crate) fn global() -> &'static Pool {
        static POOL: OnceLock<Pool> = OnceLock::new();
        POOL.get_or_init(|| Pool::new(std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) - 1))
    }

    /// A pool of `helpers` threads (they live as long as the program).
    pub(crate) fn new(helpers: usize) -> Pool {
        let shared: &'static Shared = Box::leak(Box::default());
        let started = (0..helpers)
            .filter(|i| {
                std::thread::Builder::new().name(format!("nn-core-{}", i + 1)).spawn(move || helper(shared)).is_ok()
            })
            .count();
        Pool { shared, helpers: started, busy: Mutex::new(()) }
    }

    /// Number of helper threads.
    pub(crate) fn helpers(&self) -> usize {
        self.helpers
    }

    /// Runs `job` on this thread and on up to `helpers` helpers at once, returning when all
    /// of them are done. `false` (nothing run) when the pool is running another caller's
    /// job; the caller then does the work some other way.
    ///
    /// # Panics
    /// When `job` panicked on a helper (after every helper is done with it).
    pub(crate) fn run(&self, helpers: usize, job: &(dyn Fn() + Sync)) -> bool {
        let _busy = match self.busy.try_lock() {
            Ok(guard) => guard,
            Err(std::sync::TryLockError::Poisoned(after_a_panic)) => after_a_panic.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return false,
        };
        // SAFETY: the helpers only call `job` between here and the end of `Retract::drop`,
        // which takes it back and waits until no helper is running it, also when `job`
        // panics on this thread. So no helper uses it after this call returns.
        let lent: Job = unsafe { std::mem::transmute::<&(dyn Fn() + Sync), Job>(job) };
        {
            let mut state = self.shared.lock();
            *state = State { job: Some(lent), wanted: helpers.min(self.helpers), running: 0, panicked: false };
            self.shared.epoch.fetch_add(1, Ordering::Release);
        }
        self.shared.wake.notify_all();

        struct Retract(&'static Shared);
        impl Drop for Retract {
            fn drop(&mut self) {
                let mut state = self.0.lock();
                state.job = None;
                state.wanted = 0;
                while state.running > 0 {
                    state = self.0.done.wait(state).unwrap_or_else(|p| p.into_inner());
                }
            }
        }
        let retract = Retract(self.shared);
        job();
        drop(retract);
        if self.shared.lock().panicked {
            panic!("nn-core: an evaluation panicked on a helper thread");
        }
        true
    }
}

/// A helper's life: wait for a job (spinning a little, then asleep), run it, repeat.
fn helper(shared: &'static Shared) {
    // Epoch 0 has no job; a helper that starts late still joins the job posted meanwhile.
    let mut seen = 0;
    loop {
        let start = Instant::now();
        while shared.epoch.load(Ordering::Acquire) == seen && start.elapsed() < SPIN {
            std::hint::spin_loop();
        }
        let job = {
            let mut state = shared.lock();
            while shared.epoch.load(Ordering::Acquire) == seen {
                state = shared.wake.wait(state).unwrap_or_else(|p| p.into_inner());
            }
            seen = shared.epoch.load(Ordering::Acquire);
            match state.job {
                Some(job) if state.wanted > 0 => {
                    state.wanted -= 1;
                    state.running += 1;
                    job
                }
                _ => continue, // taken back already, or enough helpers
            }
        };
        let outcome = catch_unwind(AssertUnwindSafe(job));
        let mut state = shared.lock();
        state.running -= 1;
        state.panicked |= outcome.is_err();
        if state.running == 0 {
            shared.done.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn a_job_runs_on_the_caller_and_the_helpers_and_is_done_on_return() {
        let pool = Pool::new(2);
        assert_eq!(pool.helpers(), 2);
        for helpers in [0, 1, 2, 5] {
            for _ in 0..50 {
                // Every item taken exactly once, by whichever thread comes first.
                let next = AtomicUsize::new(0);
                let taken = Mutex::new(Vec::new());
                let threads = Mutex::new(std::collections::HashSet::new());
                let job = || {
                    threads.lock().unwrap().insert(std::thread::current().id());
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= 100 {
                            return;
                        }
                        std::hint::black_box((0..200).sum::<u64>());
                        taken.lock().unwrap().push(i);
                    }
                };
                assert!(pool.run(helpers, &job));
                let mut taken = taken.into_inner().unwrap();
                taken.sort();
                assert_eq!(taken, (0..100).collect::<Vec<_>>());
                assert!(threads.into_inner().unwrap().len() <= 1 + helpers.min(2));
            }
        }
    }

    #[test]
    fn a_second_caller_is_turned_away_and_a_panic_comes_back() {
        let pool = Pool::new(1);
        let inner = AtomicUsize::new(0);
        // While a job runs, the pool refuses another (the engine then starts its own threads).
        assert!(pool.run(1, &|| {
            if !pool.run(1, &|| {}) {
                inner.fetch_add(1, Ordering::Relaxed);
            }
        }));
        assert!(inner.load(Ordering::Relaxed) >= 1);
        // A panic on a helper is reported to the caller, and the pool still works after it.
        let caller = std::thread::current().id();
        let started = std::sync::atomic::AtomicBool::new(false);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            pool.run(1, &|| {
                if std::thread::current().id() != caller {
                    started.store(true, Ordering::Release);
                    panic!("helper fails (a test of the pool)");
                }
                let t = Instant::now(); // let the helper take the job
                while !started.load(Ordering::Acquire) && t.elapsed() < Duration::from_secs(10) {
                    std::thread::yield_now();
                }
            })
        }));
        assert!(started.load(Ordering::Acquire), "the helper took the job");
        assert!(outcome.is_err(), "the helper's panic reaches the caller");
        let ran = AtomicUsize::new(0);
        assert!(pool.run(1, &|| {
            ran.fetch_add(1, Ordering::Relaxed);
        }));
        assert!(ran.load(Ordering::Relaxed) >= 1);
    }
}
