//! Tracking the best value of a monitored metric ([`Mode`], [`Monitor`]),
//! shared by [`crate::WandbCallback`], [`crate::ModelCheckpoint`] and
//! [`crate::EarlyStopping`].

/// Whether lower or higher values of a monitored metric are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Lower is better (losses, errors).
    Min,
    /// Higher is better (accuracy, F1).
    Max,
    /// `Max` when the metric name contains `acc`, `auc`, `f1`, `precision`,
    /// `recall` or `iou`, otherwise `Min` (Keras' rule, widened).
    #[default]
    Auto,
}

impl Mode {
    /// The concrete mode for a metric name (`Auto` resolved).
    pub fn resolve(self, metric: &str) -> Mode {
        match self {
            Mode::Auto => {
                let m = metric.to_ascii_lowercase();
                let higher = ["acc", "auc", "f1", "fmeasure", "precision", "recall", "iou"];
                if higher.iter().any(|h| m.contains(h)) {
                    Mode::Max
                } else {
                    Mode::Min
                }
            }
            other => other,
        }
    }
}

/// The best value seen of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Monitor {
    name: String,
    mode: Mode,
    min_delta: f64,
    best: Option<f64>,
    best_epoch: Option<usize>,
}

impl Monitor {
    /// Watches `name`; `mode` `Auto` is resolved from the name.
    pub fn new(name: impl Into<String>, mode: Mode) -> Self {
        let name = name.into();
        let mode = mode.resolve(&name);
        Monitor {
            name,
            mode,
            min_delta: 0.0,
            best: None,
            best_epoch: None,
        }
    }

    /// An improvement must beat the best by more than `delta` (its absolute value).
    pub fn with_min_delta(mut self, delta: f64) -> Self {
        self.min_delta = delta.abs();
        self
    }

    /// The monitored metric's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The resolved mode (`Min` or `Max`).
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The best value so far.
    pub fn best(&self) -> Option<f64> {
        self.best
    }

    /// The epoch of the best value so far.
    pub fn best_epoch(&self) -> Option<usize> {
        self.best_epoch
    }

    /// Whether `value` improves on the best by more than the minimum delta
    /// (any finite value improves on nothing; NaN never improves).
    pub fn is_improvement(&self, value: f64) -> bool {
        if value.is_nan() {
            return false;
        }
        match self.best {
            None => true,
            Some(best) => match self.mode {
                Mode::Max => value - self.min_delta > best,
                _ => value + self.min_delta < best,
            },
        }
    }

    /// Records `value` of `epoch`; returns whether it was an improvement.
    pub fn update(&mut self, value: f64, epoch: usize) -> bool {
        let better = self.is_improvement(value);
        if better {
            self.best = Some(value);
            self.best_epoch = Some(epoch);
        }
        better
    }

    /// Forgets the best value.
    pub fn reset(&mut self) {
        self.best = None;
        self.best_epoch = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_mode() {
        assert_eq!(Mode::Auto.resolve("val_accuracy"), Mode::Max);
        assert_eq!(Mode::Auto.resolve("val_loss"), Mode::Min);
        assert_eq!(Mode::Min.resolve("acc"), Mode::Min);
    }

    #[test]
    fn min_delta() {
        let mut m = Monitor::new("loss", Mode::Min).with_min_delta(0.1);
        assert!(m.update(1.0, 0));
        assert!(!m.update(0.95, 1));
        assert!(m.update(0.85, 2));
        assert_eq!(m.best(), Some(0.85));
        assert_eq!(m.best_epoch(), Some(2));
        assert!(!m.update(f64::NAN, 3));
    }

    #[test]
    fn max_mode() {
        let mut m = Monitor::new("acc", Mode::Auto);
        assert!(m.update(0.5, 0));
        assert!(m.update(0.6, 1));
        assert!(!m.update(0.55, 2));
    }
}
