//! `run.config()` and `run.summary()`.

use crate::error::{Error, Result};
use crate::row::{validate_key, IntoRow, Row};
use crate::value::{Map, Value};
use crate::worker::Msg;

use super::Run;

/// The run config (`run.config()`).
pub struct Config<'a> {
    pub(super) run: &'a Run,
}

impl Config<'_> {
    /// Merges every top-level key of a serialisable object into the config.
    pub fn update<T: serde::Serialize + ?Sized>(&self, values: &T) -> Result<()> {
        match Value::from_serialize(values)? {
            Value::Map(m) => self.update_map(m),
            other => Err(Error::InvalidValue(format!(
                "config updates must serialise to an object, got {other:?}"
            ))),
        }
    }

    /// Sets one config key.
    pub fn set(&self, key: impl Into<String>, value: impl Into<Value>) -> Result<()> {
        let mut m = Map::new();
        m.insert(key.into(), value.into());
        self.update_map(m)
    }

    fn update_map(&self, mut m: Map) -> Result<()> {
        let shared = self.run.shared();
        let given = m.len();
        m.retain(|k, _| {
            let locked = shared.locked.contains(k);
            if locked {
                // the official client's warning, word for word
                let msg = format!("Config item '{k}' was locked by 'sweep' (ignored update).");
                tracing::warn!("{msg}");
                if !shared.settings.silent {
                    eprintln!("wandb: WARNING {msg}");
                }
            }
            !locked
        });
        if m.is_empty() && given > 0 {
            return Ok(());
        }
        for (k, v) in &m {
            validate_key(k, false)?;
            if v.contains_media() {
                return Err(Error::InvalidValue(format!(
                    "config value {k:?} holds a media object; log it or put it in the summary"
                )));
            }
            crate::json::to_json_string(v)?;
        }
        {
            let mut cfg = self.run.shared().config.lock();
            for (k, v) in &m {
                cfg.insert(k.clone(), v.clone());
            }
        }
        self.run.send(Msg::Config(Box::new(m)))
    }

    /// A config value.
    pub fn get(&self, key: &str) -> Option<Value> {
        self.run.shared().config.lock().get(key).cloned()
    }

    /// The whole config.
    pub fn to_map(&self) -> Map {
        self.run.shared().config.lock().clone()
    }
}

/// The run summary (`run.summary()`): the last value of every logged key,
/// plus what is set explicitly.
pub struct Summary<'a> {
    pub(super) run: &'a Run,
}

impl Summary<'_> {
    /// Sets a summary value (media values are written with `summary` as step).
    pub fn set(&self, key: impl Into<String>, value: impl Into<Value>) -> Result<()> {
        let key = key.into();
        validate_key(&key, false)?;
        self.run.send(Msg::Summary(vec![(key, Some(value.into()))]))
    }

    /// Sets several summary values.
    pub fn update(&self, values: impl IntoRow) -> Result<()> {
        let row: Row = values.into_row()?;
        for (k, _) in &row.items {
            validate_key(k, false)?;
        }
        self.run.send(Msg::Summary(
            row.items
                .into_iter()
                .map(|(k, v)| (k.into_string(), Some(v)))
                .collect(),
        ))
    }

    /// Removes a summary key.
    pub fn remove(&self, key: impl Into<String>) -> Result<()> {
        self.run.send(Msg::Summary(vec![(key.into(), None)]))
    }

    /// A summary value, after everything logged so far is applied.
    pub fn get(&self, key: &str) -> Result<Option<Value>> {
        self.run.flush()?;
        Ok(self.run.shared().summary.lock().get(key).cloned())
    }

    /// The whole summary, after everything logged so far is applied.
    pub fn to_map(&self) -> Result<Map> {
        self.run.flush()?;
        Ok(self.run.shared().summary.lock().clone())
    }
}
