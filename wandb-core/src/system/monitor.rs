//! The sampling thread: one `stats` record per interval, stopped promptly by
//! a condition variable (not a sleep) when the run finishes.

use std::sync::Arc;
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant, SystemTime};

use parking_lot::{Condvar, Mutex};

use super::{MetricSource, Sample};
use crate::proto;

/// Where the monitor sends its records. Implemented for the run's weak
/// handle; tests use a channel or a vector.
pub trait StatsSink: Send + 'static {
    /// Hands over one `stats` record; returns `false` when nobody listens any
    /// more (the run is gone), which ends the monitor.
    fn emit(&self, record: proto::StatsRecord) -> bool;
}

impl<F> StatsSink for F
where
    F: Fn(proto::StatsRecord) -> bool + Send + 'static,
{
    fn emit(&self, record: proto::StatsRecord) -> bool {
        self(record)
    }
}

#[derive(Default)]
struct StopSignal {
    stopped: Mutex<bool>,
    cv: Condvar,
    /// Set by the thread as it ends (see [`Ended`]).
    ended: Mutex<bool>,
    ended_cv: Condvar,
}

/// Marks the monitor thread as ended when dropped (on every return path).
struct Ended(Arc<StopSignal>);

impl Drop for Ended {
    fn drop(&mut self) {
        *self.0.ended.lock() = true;
        self.0.ended_cv.notify_all();
    }
}

/// Samples a set of [`MetricSource`]s on a background thread at a fixed
/// interval and emits one `stats` record per round. The first round runs at
/// once (as the official client does), so even a short run has one sample.
///
/// Dropping the monitor, or calling [`SystemMonitor::stop`], wakes the thread
/// and joins it; no record is emitted after `stop` returns.
pub struct SystemMonitor {
    signal: Arc<StopSignal>,
    thread: Mutex<Option<JoinHandle<()>>>,
    thread_id: Option<ThreadId>,
}

impl SystemMonitor {
    /// Starts sampling `sources` every `interval` into `sink`.
    ///
    /// Returns `None` if the operating system refuses to start a thread.
    pub fn spawn(
        sink: impl StatsSink,
        sources: Vec<Box<dyn MetricSource>>,
        interval: Duration,
    ) -> Option<SystemMonitor> {
        Self::spawn_with(sink, move || sources, interval)
    }

    /// Like [`SystemMonitor::spawn`], but builds the sources on the monitor
    /// thread (opening NVML or listing network interfaces can take a while;
    /// `init` does not wait for it). An empty list ends the thread.
    pub fn spawn_with(
        sink: impl StatsSink,
        make_sources: impl FnOnce() -> Vec<Box<dyn MetricSource>> + Send + 'static,
        interval: Duration,
    ) -> Option<SystemMonitor> {
        let signal = Arc::new(StopSignal::default());
        let sig = Arc::clone(&signal);
        let interval = interval.max(Duration::from_millis(10));
        let dispatch = crate::diag::current_dispatch();
        let handle = std::thread::Builder::new()
            .name("wandb-system-monitor".into())
            .spawn(move || {
                let _log = tracing::dispatcher::set_default(&dispatch);
                let _ended = Ended(Arc::clone(&sig));
                crate::background::lower_priority();
                let mut sources = make_sources();
                if sources.is_empty() {
                    return;
                }
                let mut next = Instant::now();
                loop {
                    if *sig.stopped.lock() {
                        return;
                    }
                    let at = SystemTime::now();
                    let mut sample = Sample::new();
                    for s in sources.iter_mut() {
                        s.sample(&mut sample);
                    }
                    if !sample.is_empty() && !sink.emit(sample.to_record(at)) {
                        return;
                    }
                    // saturating: a huge interval is a far-future deadline
                    next = crate::duration::deadline_from(next, interval);
                    let now = Instant::now();
                    if next < now {
                        // We fell behind (suspended laptop, overloaded box):
                        // resume the cadence from now instead of bursting.
                        next = crate::duration::deadline_from(now, interval);
                    }
                    let mut stopped = sig.stopped.lock();
                    while !*stopped {
                        if sig.cv.wait_until(&mut stopped, next).timed_out() {
                            break;
                        }
                    }
                    if *stopped {
                        return;
                    }
                }
            })
            .map_err(|e| tracing::warn!("system metrics disabled: cannot start thread: {e}"))
            .ok()?;
        let thread_id = Some(handle.thread().id());
        Some(SystemMonitor {
            signal,
            thread: Mutex::new(Some(handle)),
            thread_id,
        })
    }

    /// Stops sampling and waits for the thread to end (at most one sampling
    /// round). Safe to call more than once and from the monitor thread itself
    /// (then it only signals).
    pub fn stop(&self) {
        *self.signal.stopped.lock() = true;
        self.signal.cv.notify_all();
        if Some(std::thread::current().id()) == self.thread_id {
            return;
        }
        if let Some(h) = self.thread.lock().take() {
            let _ = h.join();
        }
    }

    /// Like [`SystemMonitor::stop`], but waits for the thread only until
    /// `deadline` (a run's finish deadline): a sampling round still running
    /// then is left to end on its own (its record, if any, arrives after the
    /// run's exit record and is refused).
    pub fn stop_until(&self, deadline: Instant) {
        *self.signal.stopped.lock() = true;
        self.signal.cv.notify_all();
        if Some(std::thread::current().id()) == self.thread_id {
            return;
        }
        let mut ended = self.signal.ended.lock();
        while !*ended {
            if self
                .signal
                .ended_cv
                .wait_until(&mut ended, deadline)
                .timed_out()
            {
                break;
            }
        }
        let ended = *ended;
        let handle = self.thread.lock().take();
        match handle {
            Some(h) if ended => {
                let _ = h.join();
            }
            Some(_) => {
                tracing::warn!("system monitor still sampling at the finish deadline; not waiting")
            }
            None => {}
        }
    }
}

impl Drop for SystemMonitor {
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for SystemMonitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SystemMonitor")
            .field("stopped", &*self.signal.stopped.lock())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter(f64);
    impl MetricSource for Counter {
        fn name(&self) -> &str {
            "counter"
        }
        fn sample(&mut self, out: &mut Sample) {
            self.0 += 1.0;
            out.push("n", self.0);
        }
    }

    #[test]
    fn samples_at_once_then_per_interval_and_stops_promptly() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let m = SystemMonitor::spawn(
            move |r: proto::StatsRecord| tx.send(r).is_ok(),
            vec![Box::new(Counter(0.0))],
            Duration::from_millis(50),
        )
        .unwrap();
        let first = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(first.item[0].value_json, "1.0");
        let second = rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert_eq!(second.item[0].value_json, "2.0");
        let t = Instant::now();
        m.stop();
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "stop waited for the interval"
        );
        while rx.try_recv().is_ok() {}
        std::thread::sleep(Duration::from_millis(120));
        assert!(rx.try_recv().is_err(), "a record arrived after stop()");
    }

    #[test]
    fn stop_does_not_wait_for_a_long_interval() {
        let m = SystemMonitor::spawn(
            |_r: proto::StatsRecord| true,
            vec![Box::new(Counter(0.0))],
            Duration::from_secs(3600),
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(20));
        let t = Instant::now();
        drop(m);
        assert!(t.elapsed() < Duration::from_secs(1));
    }

    /// A source whose round takes `.0`; `.1` is set when a round begins.
    struct Slow(Duration, std::sync::Arc<std::sync::atomic::AtomicBool>);
    impl MetricSource for Slow {
        fn name(&self) -> &str {
            "slow"
        }
        fn sample(&mut self, out: &mut Sample) {
            self.1.store(true, std::sync::atomic::Ordering::SeqCst);
            std::thread::sleep(self.0);
            out.push("slow", 1.0);
        }
    }

    #[test]
    fn stop_until_does_not_wait_past_its_deadline() {
        // a round that takes 2 s is running when the run finishes
        let started = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let m = SystemMonitor::spawn(
            |_r: proto::StatsRecord| true,
            vec![Box::new(Slow(Duration::from_secs(2), started.clone()))],
            Duration::MAX,
        )
        .unwrap();
        // wait for the round to begin, however loaded the machine
        let waiting = Instant::now();
        while !started.load(std::sync::atomic::Ordering::SeqCst) {
            assert!(
                waiting.elapsed() < Duration::from_secs(30),
                "no round began"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        let t = Instant::now();
        m.stop_until(t + Duration::from_millis(100));
        let took = t.elapsed();
        assert!(
            took >= Duration::from_millis(90) && took < Duration::from_millis(600),
            "{took:?}"
        );
        // a quick round: joined well before the deadline
        let m = SystemMonitor::spawn(
            |_r: proto::StatsRecord| true,
            vec![Box::new(Counter(0.0))],
            Duration::MAX,
        )
        .unwrap();
        std::thread::sleep(Duration::from_millis(20));
        let t = Instant::now();
        m.stop_until(crate::duration::deadline_after(Duration::MAX));
        assert!(t.elapsed() < Duration::from_secs(1));
        assert!(m.thread.lock().is_none(), "joined");
    }

    #[test]
    fn a_closed_sink_ends_the_thread() {
        let m = SystemMonitor::spawn(
            |_r: proto::StatsRecord| false,
            vec![Box::new(Counter(0.0))],
            Duration::from_millis(1),
        )
        .unwrap();
        let h = m.thread.lock().take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !h.is_finished() {
            assert!(Instant::now() < deadline, "the thread did not end");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}
