//! Scheduling of the run's background threads (writer, uploader, console
//! capture, system metrics): they run at a lower priority than the threads
//! that create them, so on a busy machine the training loop keeps its
//! cores and the telemetry catches up in the gaps. Nothing is dropped: a
//! thread at low priority still gets the CPU whenever the others wait, and
//! `finish()` waits for it.

/// How much lower (in `nice` steps) the background threads run.
pub(crate) const NICENESS: i32 = 10;

/// Lowers the calling thread's priority by [`NICENESS`] (Linux, where the
/// `nice` value is per thread); does nothing elsewhere or when refused.
pub(crate) fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: plain syscalls on the calling thread.
        unsafe {
            let tid = libc::gettid();
            *libc::__errno_location() = 0;
            let now = libc::getpriority(libc::PRIO_PROCESS, tid as libc::id_t);
            if now == -1 && *libc::__errno_location() != 0 {
                return;
            }
            let target = (now + NICENESS).min(19);
            let _ = libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, target);
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn nice_of_this_thread() -> i32 {
        // SAFETY: reads the calling thread's priority.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) }
    }

    #[test]
    fn lowers_only_the_calling_thread() {
        let before = nice_of_this_thread();
        let inside = std::thread::spawn(|| {
            let start = nice_of_this_thread();
            lower_priority();
            (start, nice_of_this_thread())
        })
        .join()
        .unwrap();
        assert_eq!(inside.1, (inside.0 + NICENESS).min(19));
        assert_eq!(nice_of_this_thread(), before);
    }
}
