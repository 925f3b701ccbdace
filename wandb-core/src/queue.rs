//! The queue between the run's handles and its writer thread.
//!
//! A mutex-protected list that the writer swaps out in one go. While rows
//! flow, the writer polls it every couple of milliseconds, so `log()` is
//! a lock, a push and an unlock: no cross-core channel traffic and no
//! wake-up system call per row. When the writer has been idle for a while it
//! blocks on a condition variable and the next push wakes it.

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
        if urgent || g.writer_idle {
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
        if g.writer_idle {
            self.wake_writer.notify_one();
        }
        Ok(())
    }

    /// Writer side: moves everything queued into `out` (which must be
    /// empty) and hands `spares` (emptied row lists) over for reuse. With
    /// `block_for`, waits up to that long for a message when the queue is
    /// empty.
    pub(crate) fn take(
        &self,
        out: &mut Vec<Msg>,
        block_for: Option<Duration>,
        spares: &mut Vec<Items>,
    ) {
        let mut g = self.inner.lock();
        let room = self.capacity.saturating_sub(g.spares.len());
        let give = spares.len().min(room);
        g.spares.extend(spares.drain(..give));
        spares.clear();
        if block_for.is_some() {
            // The writer is idle: do not hold on to a burst's worth of lists.
            g.spares.truncate(row_pool::IDLE_QUEUE_SPARES);
        }
        if g.items.is_empty() {
            if let Some(d) = block_for {
                g.writer_idle = true;
                self.wake_writer.wait_for(&mut g, d);
                g.writer_idle = false;
            }
        }
        std::mem::swap(&mut g.items, out);
        if !out.is_empty() {
            self.space.notify_all();
        }
    }

    /// Marks the writer as gone: pending and future pushes fail.
    pub(crate) fn close(&self) {
        self.inner.lock().closed = true;
        self.space.notify_all();
    }
}
