//! The queue between the run's handles and its writer thread.
//!
//! A mutex-protected list that the writer swaps out in one go. While rows
//! flow, the writer polls it ([`Wait::Poll`], a timed wait that only an
//! urgent message or a half-full queue cuts short), so `log()` is a lock, a
//! push and an unlock: no cross-core channel traffic and no wake-up system
//! call per row. When the writer has been idle for a while it waits
//! ([`Wait::Idle`]) until the next push wakes it.

use std::time::Duration;

use parking_lot::{Condvar, Mutex};

use crate::row_pool::{self, Items};
use crate::worker::Msg;

/// Why a push failed.
pub(crate) enum PushError {
    /// The queue is full (only from [`Queue::try_push`]); the message is returned.
    Full,
    /// The writer thread has stopped.
    Closed,
}

struct Inner {
    items: Vec<Msg>,
    /// Emptied row item lists handed back by the writer for reuse.
    spares: Vec<Items>,
    writer_idle: bool,
    closed: bool,
}

/// How the writer waits when the queue is empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// Rows are flowing: wait up to this long; only an urgent message or a
    /// queue reaching half its capacity wakes the writer earlier.
    Poll(Duration),
    /// Idle: wait up to this long; any push wakes the writer.
    Idle(Duration),
}

/// A bounded multi-producer, single-consumer queue of writer messages.
pub(crate) struct Queue {
    inner: Mutex<Inner>,
    wake_writer: Condvar,
    space: Condvar,
    capacity: usize,
}

impl Queue {
    pub(crate) fn new(capacity: usize) -> Self {
        Queue {
            inner: Mutex::new(Inner {
                items: Vec::with_capacity(capacity.min(4096)),
                spares: Vec::new(),
                writer_idle: false,
                closed: false,
            }),
            wake_writer: Condvar::new(),
            space: Condvar::new(),
            capacity: capacity.max(1),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Appends a message, waiting while the queue is full (back-pressure).
    /// `urgent` wakes the writer at once (control messages: flush, finish).
    pub(crate) fn push(&self, msg: Msg, urgent: bool) -> Result<(), PushError> {
        let mut g = self.inner.lock();
        while g.items.len() >= self.capacity && !g.closed {
            self.space.wait(&mut g);
        }
        if g.closed {
            return Err(PushError::Closed);
        }
        g.items.push(msg);
        row_pool::refill_from(&mut g.spares);
        if urgent || g.writer_idle || g.items.len() == self.half() {
            self.wake_writer.notify_one();
        }
        Ok(())
    }

    /// Appends a message unless the queue is full.
    pub(crate) fn try_push(&self, msg: Msg) -> Result<(), PushError> {
        let mut g = self.inner.lock();
        if g.closed {
            return Err(PushError::Closed);
        }
        if g.items.len() >= self.capacity {
            return Err(PushError::Full);
        }
        g.items.push(msg);
        row_pool::refill_from(&mut g.spares);
        if g.writer_idle || g.items.len() == self.half() {
            self.wake_writer.notify_one();
        }
        Ok(())
    }

    /// Writer side: moves everything queued into `out` (which must be
    /// empty) and hands `spares` (emptied row lists) over for reuse,
    /// waiting as `wait` says when the queue is empty.
    pub(crate) fn take(&self, out: &mut Vec<Msg>, wait: Wait, spares: &mut Vec<Items>) {
        let mut g = self.inner.lock();
        let room = self.capacity.saturating_sub(g.spares.len());
        let give = spares.len().min(room);
        g.spares.extend(spares.drain(..give));
        spares.clear();
        if let Wait::Idle(_) = wait {
            // The writer is idle: do not hold on to a burst's worth of lists.
            g.spares.truncate(row_pool::IDLE_QUEUE_SPARES);
        }
        if g.items.is_empty() {
            match wait {
                Wait::Poll(d) => {
                    self.wake_writer.wait_for(&mut g, d);
                }
                Wait::Idle(d) => {
                    g.writer_idle = true;
                    self.wake_writer.wait_for(&mut g, d);
                    g.writer_idle = false;
                }
            }
        }
        std::mem::swap(&mut g.items, out);
        if !out.is_empty() {
            self.space.notify_all();
        }
    }

    /// The queue length at which a push wakes a polling writer.
    fn half(&self) -> usize {
        self.capacity.div_ceil(2)
    }

    /// Marks the writer as gone: pending and future pushes fail.
    pub(crate) fn close(&self) {
        self.inner.lock().closed = true;
        self.space.notify_all();
    }
}
