//! Running student code so that nothing it does can hurt the grader or the notebook.
//!
//! On Linux, [`run`] forks: the child process runs the student's calls, sends the result
//! back through a pipe ([`crate::wire`]) and ends with `_exit`. In the child
//!
//! - the panic hook is a silent one, and stdout goes to `/dev/null` and stderr to a pipe
//!   the grader reads (to tell a stack overflow or a failed allocation from other
//!   crashes), so nothing the student code prints reaches the notebook;
//! - the address space may grow by [`Limits::memory`] at most (`RLIMIT_AS`), and core
//!   dumps are off;
//! - the code runs on the thread that forked (the only one a child has); a SIGSEGV
//!   handler on an alternate stack tells an overflow of that thread's stack (endless
//!   recursion) from other crashes, in any host (Rust's own handler does that only for
//!   threads it knows, and evcxr's execution thread is not one of them).
//!
//! The grader waits until [`Limits::time`] has passed, then kills the child (and
//! anything it started). So a loop without end, endless recursion, an allocation of a
//! terabyte, `std::process::exit` or an abort in student code costs that part its points
//! and says why ([`Failure`]), and the grader, the notebook's kernel and a test process
//! go on.
//!
//! Elsewhere (no `fork`), [`run`] calls the code in the grader's own process, catching
//! panics with a silent hook: no time or memory limit there. Building with
//! `RUSTFLAGS="--cfg nn_grader_in_process"` picks that way on Linux too (to test it).
//!
//! What `fork` cannot carry: threads. The child has only the thread that forked, so code
//! that hands work to a thread pool started before the fork waits forever (ndarray's
//! matrix products do, with `matrixmultiply-threading`, for products larger than about
//! 128x128). The grader's problems are small. Training on 5000 digits is not:
//! [`crate::train_with`] runs in a child when [`products_fork_safe`] says a child can
//! multiply big matrices here (always, in the kit's kernel: it sets `MATMUL_NUM_THREADS=1`),
//! and in-process otherwise, with its time allowed checked between iterations.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::outcome::Failure;
use crate::wire::Wire;

/// How long and how much memory student code may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time for one part's calls.
    pub time: Duration,
    /// Bytes the child's address space may grow by.
    pub memory: u64,
}

impl Default for Limits {
    /// 5 seconds and 2 GiB.
    fn default() -> Self {
        Limits { time: Duration::from_secs(5), memory: 2 << 30 }
    }
}

/// True where [`run`] uses a child process.
pub fn isolated() -> bool {
    cfg!(all(target_os = "linux", not(nn_grader_in_process)))
}

/// Whether a child process of [`run`] can multiply big matrices here: false once ndarray's
/// matrix products have started their thread pool in this process with more than one
/// thread (`matrixmultiply-threading`: a product larger than about 128x128 then hands
/// half its work to a pool thread, which a forked child does not have, and waits
/// forever). Found out by trying: a child multiplies two 256x256 matrices, with 2 s to do
/// it (it takes a millisecond). Once false, false for the life of the process (the pool
/// never stops); `MATMUL_NUM_THREADS=1` in the environment before the first product
/// keeps it true. Always false where [`run`] has no child process.
pub fn products_fork_safe() -> bool {
    use std::sync::atomic::{AtomicBool, Ordering};
    static POOL_SEEN: AtomicBool = AtomicBool::new(false);
    if !isolated() || POOL_SEEN.load(Ordering::Relaxed) {
        return false;
    }
    let probe = Limits { time: Duration::from_secs(2), memory: 1 << 30 };
    let safe = run(&probe, || {
        let a = ndarray::Array2::<f64>::from_shape_fn((256, 256), |(i, j)| (i * 7 + j) as f64);
        a.dot(&a)[[255, 255]]
    })
    .is_ok();
    if !safe {
        POOL_SEEN.store(true, Ordering::Relaxed);
    }
    safe
}

/// Runs `f` under `limits`, in a child process where possible; see the module's text.
/// Panics inside `f` should be caught by `f` itself (with [`catch`]) when one call's
/// panic must not lose the others' results; a panic that escapes is [`Failure::Panicked`].
pub fn run<T: Wire>(limits: &Limits, f: impl FnOnce() -> T) -> Result<T, Failure> {
    #[cfg(all(target_os = "linux", not(nn_grader_in_process)))]
    {
        child::run(limits, f)
    }
    #[cfg(not(all(target_os = "linux", not(nn_grader_in_process))))]
    {
        let _ = limits;
        catch(f).map_err(Failure::Panicked)
    }
}

thread_local! {
    /// Inside a silenced region (or a child process): catching needs no hook change.
    static SILENCED: Cell<bool> = const { Cell::new(false) };
}
static HOOK_LOCK: Mutex<()> = Mutex::new(());

fn payload_message(payload: &(dyn std::any::Any + Send)) -> Option<String> {
    payload.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| payload.downcast_ref::<String>().cloned())
}

/// Runs `f`; a panic comes back as `Err(panic message)`, printing nothing.
///
/// In the grader's own process the panic hook is replaced by a silent one while `f`
/// runs, and the previous hook (the default one, the test harness's, evcxr's...) is put
/// back afterwards, whatever happened; calls from several threads take turns. In a child
/// process of [`run`] the hook is already silent.
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    let no_message = || "a panic without a message".to_string();
    if SILENCED.with(Cell::get) {
        return panic::catch_unwind(AssertUnwindSafe(f)).map_err(|p| payload_message(&*p).unwrap_or_else(no_message));
    }
    let _turn = HOOK_LOCK.lock().unwrap_or_else(PoisonError::into_inner);
    let recorded: Arc<Mutex<Option<String>>> = Arc::default();
    let sink = Arc::clone(&recorded);
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let mut slot = sink.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = info.payload_as_str().map(str::to_string);
        }
    }));
    SILENCED.with(|s| s.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    SILENCED.with(|s| s.set(false));
    drop(panic::take_hook());
    panic::set_hook(previous);
    result.map_err(|payload| {
        payload_message(&*payload)
            .or_else(|| recorded.lock().unwrap_or_else(PoisonError::into_inner).take())
            .unwrap_or_else(no_message)
    })
}

#[cfg(all(target_os = "linux", not(nn_grader_in_process)))]
mod child {
    use std::os::fd::RawFd;
    use std::panic;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use super::{Failure, Limits, SILENCED};
    use crate::wire::{self, Wire};

    /// How much of the child's stderr is kept (its end: where the runtime's last words are).
    const STDERR_KEPT: usize = 16 << 10;

    fn pipe() -> Result<(RawFd, RawFd), Failure> {
        let mut fds = [0; 2];
        // SAFETY: fds is a valid array of two ints.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(Failure::Broken(format!("no pipe: {}", std::io::Error::last_os_error())));
        }
        Ok((fds[0], fds[1]))
    }

    fn close(fd: RawFd) {
        // SAFETY: closing a descriptor this module opened.
        unsafe { libc::close(fd) };
    }

    pub(super) fn run<T: Wire>(limits: &Limits, f: impl FnOnce() -> T) -> Result<T, Failure> {
        let (out_r, out_w) = pipe()?;
        let (err_r, err_w) = match pipe() {
            Ok(p) => p,
            Err(e) => {
                close(out_r);
                close(out_w);
                return Err(e);
            }
        };
        let pid = fork_with_silent_hook();
        if pid < 0 {
            for fd in [out_r, out_w, err_r, err_w] {
                close(fd);
            }
            return Err(Failure::Broken(format!("fork failed: {}", std::io::Error::last_os_error())));
        }
        if pid == 0 {
            close(out_r);
            close(err_r);
            in_child(limits, out_w, err_w, f);
        }
        close(out_w);
        close(err_w);
        // SAFETY: pid is our child; making it a process group leader lets the timeout kill
        // whatever it started too (it does the same itself; whichever runs first wins).
        unsafe { libc::setpgid(pid, pid) };
        let outcome = wait(pid, out_r, err_r, limits.time);
        close(out_r);
        close(err_r);
        let (status, out, err) = outcome?;
        judge(status, &out, &err)
    }

    /// Forks with a silent panic hook in place, so that the child has it from the start
    /// and never touches the hook's lock (another thread of this process may hold it at
    /// the moment of the fork, and the child would wait for it forever). The parent's
    /// hook is put back at once. Inside [`super::catch`] the hook is silent already.
    fn fork_with_silent_hook() -> libc::pid_t {
        if SILENCED.with(std::cell::Cell::get) {
            // SAFETY: the child only runs `in_child`, which never returns.
            return unsafe { libc::fork() };
        }
        let _turn = super::HOOK_LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let previous = panic::take_hook();
        panic::set_hook(Box::new(|_| {}));
        // SAFETY: the child only runs `in_child`, which never returns.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // The child's copy of the grader's hook: not ours to run destructors of.
            std::mem::forget(previous);
        } else {
            drop(panic::take_hook());
            panic::set_hook(previous);
        }
        pid
    }

    /// The child: never returns.
    fn in_child<T: Wire>(limits: &Limits, out_w: RawFd, err_w: RawFd, f: impl FnOnce() -> T) -> ! {
        // SAFETY: plain system calls on descriptors and limits of this process.
        unsafe {
            // Die with the grader: a grader killed before its deadline (a whole-student time
            // limit, a restarted kernel) must not leave a student's endless loop running.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if libc::getppid() == 1 {
                libc::_exit(70);
            }
            libc::setpgid(0, 0);
            let devnull = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
            if devnull >= 0 {
                libc::dup2(devnull, 1);
            }
            libc::dup2(err_w, 2);
            let no_core = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
            libc::setrlimit(libc::RLIMIT_CORE, &no_core);
        }
        // The student code runs on this thread (the only one the child has): spawning a
        // thread after a fork can wait for a lock some thread of the grader held.
        SILENCED.with(|s| s.set(true));
        watch_stack();
        limit_memory(limits.memory);
        let frame = match panic::catch_unwind(panic::AssertUnwindSafe(f)) {
            Ok(value) => {
                let mut frame = vec![0u8];
                value.put(&mut frame);
                frame
            }
            Err(payload) => {
                let mut frame = vec![1u8];
                super::payload_message(&*payload).unwrap_or_else(|| "a panic without a message".into()).put(&mut frame);
                frame
            }
        };
        write_all(out_w, &frame);
        // SAFETY: ends the child at once: no destructors, no atexit handlers, no flushing
        // of the buffers it inherited from the grader's process.
        unsafe { libc::_exit(0) }
    }

    /// The lowest address of the stack of the thread running student code.
    static STACK_LOW: AtomicUsize = AtomicUsize::new(0);

    /// What the SIGSEGV handler writes to stderr for a fault at the end of the stack; the
    /// same words as Rust's own handler (which not every host installs: evcxr's doesn't).
    const OVERFLOW_MARK: &[u8] = b"\nthread 'student' has overflowed its stack\n";

    extern "C" fn on_segv(signal: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
        // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler.
        let addr = unsafe { (*info).si_addr() } as usize;
        let low = STACK_LOW.load(Ordering::Relaxed);
        // The guard page(s) just below the stack, or its last 64 KiB.
        if low != 0 && addr < low + (64 << 10) && addr + (4 << 20) > low {
            // SAFETY: write(2) is async-signal-safe.
            unsafe { libc::write(2, OVERFLOW_MARK.as_ptr().cast(), OVERFLOW_MARK.len()) };
        }
        // Back to the default action: returning runs the faulting instruction again, and
        // the process ends with the signal.
        // SAFETY: signal(2) is async-signal-safe.
        unsafe { libc::signal(signal, libc::SIG_DFL) };
    }

    /// Tells a stack overflow from other crashes: a SIGSEGV/SIGBUS handler, on an
    /// alternate stack, that checks whether the fault is at the end of this thread's stack.
    fn watch_stack() {
        // SAFETY: plain calls with valid pointers to locals; the alternate stack is mapped
        // for the rest of the child's life.
        unsafe {
            let mut attr: libc::pthread_attr_t = std::mem::zeroed();
            if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) == 0 {
                let (mut addr, mut size) = (std::ptr::null_mut(), 0usize);
                if libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0 {
                    STACK_LOW.store(addr as usize, Ordering::Relaxed);
                }
                libc::pthread_attr_destroy(&mut attr);
            }
            let size = 256 << 10;
            let mem = libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            if mem == libc::MAP_FAILED {
                return;
            }
            let alt = libc::stack_t { ss_sp: mem, ss_flags: 0, ss_size: size };
            libc::sigaltstack(&alt, std::ptr::null_mut());
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_segv as *const () as libc::sighandler_t;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGSEGV, &action, std::ptr::null_mut());
            libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
        }
    }

    /// Caps the address space at its present size plus `bytes`.
    fn limit_memory(bytes: u64) {
        let page = 4096u64;
        let now = std::fs::read_to_string("/proc/self/statm")
            .ok()
            .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()))
            .map_or(0, |pages| pages * page);
        let cap = now.saturating_add(bytes);
        let rl = libc::rlimit { rlim_cur: cap as libc::rlim_t, rlim_max: cap as libc::rlim_t };
        // SAFETY: setting a limit of this process.
        unsafe { libc::setrlimit(libc::RLIMIT_AS, &rl) };
    }

    fn write_all(fd: RawFd, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            // SAFETY: bytes is a valid buffer of bytes.len() bytes.
            let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
            if n < 0 {
                if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return;
            }
            bytes = &bytes[n as usize..];
        }
    }

    /// Reads what is there without blocking; false at end of file or on an error.
    fn read_available(fd: RawFd, into: &mut Vec<u8>, keep_last: Option<usize>) -> bool {
        let mut buf = [0u8; 1 << 16];
        loop {
            // SAFETY: buf is a valid buffer of buf.len() bytes.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                into.extend_from_slice(&buf[..n as usize]);
                if let Some(keep) = keep_last {
                    if into.len() > 4 * keep {
                        into.drain(..into.len() - keep);
                    }
                }
                continue;
            }
            if n == 0 {
                return false;
            }
            let e = std::io::Error::last_os_error();
            return matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted);
        }
    }

    /// Collects the child's output until it ends, or kills it at the deadline.
    /// `Ok((wait status, result bytes, stderr tail))`.
    fn wait(pid: libc::pid_t, out_r: RawFd, err_r: RawFd, limit: Duration) -> Result<(i32, Vec<u8>, Vec<u8>), Failure> {
        for fd in [out_r, err_r] {
            // SAFETY: fcntl on our own descriptors.
            unsafe { libc::fcntl(fd, libc::F_SETFL, libc::fcntl(fd, libc::F_GETFL) | libc::O_NONBLOCK) };
        }
        let deadline = Instant::now() + limit;
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut open = [true, true];
        loop {
            let mut fds = [
                libc::pollfd { fd: if open[0] { out_r } else { -1 }, events: libc::POLLIN, revents: 0 },
                libc::pollfd { fd: if open[1] { err_r } else { -1 }, events: libc::POLLIN, revents: 0 },
            ];
            let left = deadline.saturating_duration_since(Instant::now());
            // Both pipes at end of file: the child is ending (or closed them); look often.
            let step = if open.iter().any(|&o| o) { 10 } else { 1 };
            let timeout_ms = left.as_millis().clamp(1, step) as i32;
            // SAFETY: fds is a valid array of two pollfd.
            unsafe { libc::poll(fds.as_mut_ptr(), 2, timeout_ms) };
            if open[0] {
                open[0] = read_available(out_r, &mut out, None);
            }
            if open[1] {
                open[1] = read_available(err_r, &mut err, Some(STDERR_KEPT));
            }
            let mut status = 0;
            // SAFETY: waiting for our own child without blocking.
            let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
            if done == pid {
                // Whatever it wrote before it ended is in the pipes (other children of
                // the process may hold copies of the write ends: no waiting for EOF).
                read_available(out_r, &mut out, None);
                read_available(err_r, &mut err, Some(STDERR_KEPT));
                return Ok((status, out, err));
            }
            if done < 0 {
                let e = std::io::Error::last_os_error();
                if e.raw_os_error() == Some(libc::ECHILD) {
                    // SIGCHLD is ignored in this process: the child was reaped on its own
                    // and its status is lost. A whole result in the pipe still counts.
                    read_available(out_r, &mut out, None);
                    read_available(err_r, &mut err, Some(STDERR_KEPT));
                    if out.is_empty() {
                        return Err(Failure::Broken("the child process ended without a result".into()));
                    }
                    return Ok((0, out, err));
                }
                return Err(Failure::Broken(format!("waitpid: {e}")));
            }
            if Instant::now() >= deadline {
                // SAFETY: killing our child's process group and the child, then reaping it.
                unsafe {
                    libc::kill(-pid, libc::SIGKILL);
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, &mut status, 0);
                }
                return Err(Failure::TimedOut(limit));
            }
        }
    }

    fn judge<T: Wire>(status: i32, out: &[u8], err: &[u8]) -> Result<T, Failure> {
        let stderr = String::from_utf8_lossy(&err[err.len().saturating_sub(STDERR_KEPT)..]);
        if libc::WIFEXITED(status) {
            let code = libc::WEXITSTATUS(status);
            return match (code, out.split_first()) {
                (0, Some((0, bytes))) => {
                    wire::decode(bytes).ok_or_else(|| Failure::Broken("the result could not be read back".into()))
                }
                (0, Some((1, bytes))) => {
                    Err(Failure::Panicked(wire::decode::<String>(bytes).unwrap_or_else(|| "a panic".into())))
                }
                _ => Err(Failure::Exited(code)),
            };
        }
        if libc::WIFSIGNALED(status) {
            if stderr.contains("has overflowed its stack") {
                return Err(Failure::StackOverflow);
            }
            if stderr.contains("memory allocation of") {
                return Err(Failure::OutOfMemory);
            }
            return Err(Failure::Crashed(libc::WTERMSIG(status)));
        }
        Err(Failure::Broken(format!("unexpected wait status {status}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_short_and_exact() {
        assert_eq!(
            Failure::TimedOut(Duration::from_secs(5)).message("nn_cost_function"),
            "timed out after 5 s in nn_cost_function"
        );
        assert_eq!(Failure::TimedOut(Duration::from_millis(500)).message("f"), "timed out after 0.5 s in f");
        assert_eq!(Failure::OutOfMemory.message("f"), "ran out of memory");
        assert_eq!(Failure::StackOverflow.message("f"), "stack overflow (endless recursion?)");
        assert_eq!(Failure::Crashed(6).message("f"), "the process crashed: signal 6, SIGABRT (abort)");
    }

    #[test]
    fn a_value_comes_back_and_a_panic_is_caught() {
        let limits = Limits::default();
        assert_eq!(run(&limits, || 42u64), Ok(42));
        assert_eq!(run(&limits, || -> u64 { panic!("boom {}", 1) }), Err(Failure::Panicked("boom 1".into())));
        assert_eq!(run(&limits, || catch(|| -> u64 { todo!() })), Ok(Err("not yet implemented".to_string())));
    }
}
