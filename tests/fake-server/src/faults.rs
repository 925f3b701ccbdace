//! Faults the fake server injects on demand: error statuses (with
//! `Retry-After`), delays, dropped connections and whole outages.

use std::time::{Duration, Instant};

/// Which requests a [`Fault`] applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every request.
    Any,
    /// GraphQL requests; with `Some(op)` only that operation (e.g. `"UpsertBucket"`).
    GraphQl(Option<String>),
    /// file_stream POSTs.
    FileStream,
    /// File uploads (PUT to an upload URL).
    Upload,
}

impl Target {
    /// A GraphQL operation by name.
    pub fn op(name: &str) -> Self {
        Target::GraphQl(Some(name.to_string()))
    }

    pub(crate) fn matches(&self, kind: &RequestKind) -> bool {
        match (self, kind) {
            (Target::Any, _) => true,
            (Target::GraphQl(None), RequestKind::GraphQl(_)) => true,
            (Target::GraphQl(Some(want)), RequestKind::GraphQl(op)) => want == op,
            (Target::FileStream, RequestKind::FileStream) => true,
            (Target::Upload, RequestKind::Upload) => true,
            _ => false,
        }
    }
}

/// What kind of request the server got (for fault matching and logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestKind {
    /// A GraphQL request with its operation name.
    GraphQl(String),
    /// A file_stream POST.
    FileStream,
    /// An upload PUT.
    Upload,
    /// Anything else.
    Other,
}

/// What a fault does to a matching request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    /// Answer with this HTTP status (the request is not processed); with
    /// `retry_after` a `Retry-After: <seconds>` header is added.
    Status {
        /// The status code, e.g. 429, 500, 503.
        code: u16,
        /// Seconds for the `Retry-After` header.
        retry_after: Option<u64>,
    },
    /// Sleep this long, then process the request normally (a client with a
    /// shorter timeout gives up although the server stored the data).
    Delay(Duration),
    /// Process the request, then drop the connection without a response (the
    /// client sees a reset; the data was stored, as after a lost answer).
    DropAfter,
    /// Drop the connection without processing the request.
    DropBefore,
}

/// A fault injected into the next `times` matching requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// Which requests.
    pub target: Target,
    /// What happens to them.
    pub action: FaultAction,
    /// How many matching requests are affected.
    pub times: usize,
}

impl Fault {
    /// `times` matching requests get HTTP `code`.
    pub fn status(target: Target, code: u16, times: usize) -> Self {
        Fault {
            target,
            action: FaultAction::Status {
                code,
                retry_after: None,
            },
            times,
        }
    }

    /// `times` matching requests get 429 with `Retry-After: secs`.
    pub fn rate_limit(target: Target, secs: u64, times: usize) -> Self {
        Fault {
            target,
            action: FaultAction::Status {
                code: 429,
                retry_after: Some(secs),
            },
            times,
        }
    }

    /// `times` matching requests are delayed by `delay`.
    pub fn delay(target: Target, delay: Duration, times: usize) -> Self {
        Fault {
            target,
            action: FaultAction::Delay(delay),
            times,
        }
    }

    /// `times` matching requests are processed but their connection is dropped.
    pub fn drop_after(target: Target, times: usize) -> Self {
        Fault {
            target,
            action: FaultAction::DropAfter,
            times,
        }
    }

    /// `times` matching requests are dropped unprocessed.
    pub fn drop_before(target: Target, times: usize) -> Self {
        Fault {
            target,
            action: FaultAction::DropBefore,
            times,
        }
    }
}

/// The faults waiting to fire, plus an optional outage window.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    faults: Vec<Fault>,
    outage_until: Option<Instant>,
    /// How many faults fired (for tests that check a fault was hit).
    pub fired: usize,
}

impl FaultQueue {
    pub fn push(&mut self, fault: Fault) {
        if fault.times > 0 {
            self.faults.push(fault);
        }
    }

    pub fn outage(&mut self, length: Duration) {
        // saturating: a huge length is an outage for good
        let now = Instant::now();
        self.outage_until = Some(
            now.checked_add(length)
                .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 24 * 3600)),
        );
    }

    /// The action for this request, consuming one use of the first matching fault.
    pub fn take(&mut self, kind: &RequestKind) -> Option<FaultAction> {
        if let Some(until) = self.outage_until {
            if Instant::now() < until {
                self.fired += 1;
                return Some(FaultAction::Status {
                    code: 503,
                    retry_after: None,
                });
            }
            self.outage_until = None;
        }
        let idx = self.faults.iter().position(|f| f.target.matches(kind))?;
        let fault = &mut self.faults[idx];
        fault.times -= 1;
        let action = fault.action.clone();
        if fault.times == 0 {
            self.faults.remove(idx);
        }
        self.fired += 1;
        Some(action)
    }
}
