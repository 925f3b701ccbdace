//! The local controller: the sweep's runs and the next suggestion.

use serde_json::{Map, Value};

use crate::config::{Method, SweepConfig};
use crate::rng::Mt19937;
use crate::run::SweepRun;
use crate::{bayes_next, grid_next, hyperband_stop, random_next, SearchError};

/// Keeps a sweep's runs and suggests the next parameters.
#[derive(Debug, Clone)]
pub struct Controller {
    config: SweepConfig,
    runs: Vec<SweepRun>,
    python_rng: Mt19937,
    numpy_rng: Mt19937,
}

impl Controller {
    /// A controller; `seed` seeds random search (like `random.seed(seed)`)
    /// and bayes candidates (like `np.random.seed(seed)`).
    pub fn new(config: SweepConfig, seed: u32) -> Self {
        Controller {
            config,
            runs: Vec::new(),
            python_rng: Mt19937::python(seed as u64),
            numpy_rng: Mt19937::numpy(seed),
        }
    }

    /// The config.
    pub fn config(&self) -> &SweepConfig {
        &self.config
    }

    /// Every run so far.
    pub fn runs(&self) -> &[SweepRun] {
        &self.runs
    }

    /// Adds a run (or replaces the one with the same name).
    pub fn upsert(&mut self, run: SweepRun) {
        match self.runs.iter_mut().find(|r| r.name == run.name) {
            Some(r) => *r = run,
            None => self.runs.push(run),
        }
    }

    /// Whether `run_cap` runs exist or a run reached `metric.target`.
    pub fn done(&self) -> bool {
        if self
            .config
            .run_cap
            .is_some_and(|cap| self.runs.len() as u64 >= cap)
        {
            return true;
        }
        let Some(m) = &self.config.metric else {
            return false;
        };
        let Some(target) = m.target else { return false };
        let max = m.goal == crate::Goal::Maximize;
        self.runs.iter().any(|r| {
            r.metric_extremum(&m.name, max)
                .is_some_and(|v| if max { v >= target } else { v <= target })
        })
    }

    /// The next run's parameters (`{"lr": {"value": 0.1}}`), or `None` when
    /// the sweep is done (grid exhausted, `run_cap` or target reached).
    pub fn suggest(&mut self) -> Result<Option<Map<String, Value>>, SearchError> {
        if self.done() {
            return Ok(None);
        }
        match self.config.method {
            Method::Grid => grid_next(&self.config, &self.runs),
            Method::Random => Ok(Some(random_next(&self.config, &mut self.python_rng))),
            Method::Bayes => Ok(Some(bayes_next(&self.config, &self.runs, &mut self.numpy_rng)?.0)),
            Method::Custom => Err(SearchError::Unsupported(
                "method custom needs an external scheduler; the local controller runs grid, random and bayes".into(),
            )),
        }
    }

    /// Running runs that hyperband says to stop (none without `early_terminate`).
    pub fn to_stop(&self) -> Result<Vec<String>, SearchError> {
        if self.config.early_terminate.is_none() {
            return Ok(Vec::new());
        }
        hyperband_stop(&self.config, &self.runs)
    }
}
