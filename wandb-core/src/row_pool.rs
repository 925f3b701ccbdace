//! Recycling of row allocations between the writer thread and the threads
//! that log.
//!
//! A row's item list is allocated by the logging thread and emptied by the
//! writer thread. Freeing it there and allocating a new one on the next
//! `log()` makes the two threads contend for the same allocator state on
//! every row. Instead, the writer hands emptied lists back through the
//! queue (under the lock it takes anyway) and each logging thread keeps a
//! few in a thread-local list that [`crate::Row::with_capacity`] draws from.

use std::cell::RefCell;

use crate::row::RowKey;
use crate::value::Value;

/// The item list of a row.
pub(crate) type Items = Vec<(RowKey, Value)>;

/// Lists with more capacity than this are freed, not recycled.
pub(crate) const MAX_RECYCLED_CAPACITY: usize = 32;

/// A logging thread takes spares from the queue when it holds fewer than this.
const LOW_WATER: usize = 4;

/// How many spares a logging thread takes from the queue at once.
const REFILL: usize = 256;

/// Spares the queue keeps while the writer is idle (while rows flow it
/// keeps up to its capacity: as many lists as can be in flight).
pub(crate) const IDLE_QUEUE_SPARES: usize = 1024;

thread_local! {
    static SPARES: RefCell<Vec<Items>> = const { RefCell::new(Vec::new()) };
}

/// An empty item list with room for `n` items, recycled when possible.
pub(crate) fn take(n: usize) -> Items {
    let spare = SPARES.try_with(|s| s.borrow_mut().pop()).ok().flatten();
    match spare {
        Some(mut items) => {
            items.reserve(n);
            items
        }
        None => Vec::with_capacity(n),
    }
}

/// Called by a logging thread while it holds the queue lock: moves up to
/// `REFILL` spares from the queue's list into this thread's, when it is low.
pub(crate) fn refill_from(queue_spares: &mut Vec<Items>) {
    if queue_spares.is_empty() {
        return;
    }
    let _ = SPARES.try_with(|s| {
        let mut mine = s.borrow_mut();
        if mine.len() < LOW_WATER {
            let keep = queue_spares.len().saturating_sub(REFILL);
            mine.extend(queue_spares.drain(keep..));
        }
    });
}

/// Writer side: empties `items` and keeps it for recycling in `spares` if
/// it is small, else frees it.
pub(crate) fn recycle(mut items: Items, spares: &mut Vec<Items>) {
    if items.capacity() == 0 || items.capacity() > MAX_RECYCLED_CAPACITY {
        return;
    }
    items.clear();
    spares.push(items);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_go_round_between_writer_and_logger() {
        let mut queue_spares = Vec::new();
        let mut items = take(3);
        let ptr = items.as_ptr();
        items.push((RowKey::from("loss"), Value::Float(1.0)));
        recycle(items, &mut queue_spares);
        assert_eq!(queue_spares.len(), 1);
        assert!(queue_spares[0].is_empty());
        // Drain this thread's own list first so that the refill is used.
        while SPARES.with(|s| s.borrow_mut().pop()).is_some() {}
        refill_from(&mut queue_spares);
        assert!(queue_spares.is_empty());
        let again = take(2);
        assert_eq!(again.as_ptr(), ptr, "the same allocation comes back");
        assert!(again.is_empty());
        // Big lists are not kept.
        let big: Items = Vec::with_capacity(MAX_RECYCLED_CAPACITY + 1);
        recycle(big, &mut queue_spares);
        assert!(queue_spares.is_empty());
    }
}
