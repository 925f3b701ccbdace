//! Bounds of the time settings: values that parse but cannot work (a zero
//! sampling interval, a zero finish timeout) are rejected with
//! [`Error::InvalidSetting`] naming the setting; huge ones saturate.

use std::time::Duration;

use super::Settings;
use crate::duration;
use crate::error::{Error, Result};

/// The shortest system metrics sampling interval (0.1 s, as the official
/// client, which rejects shorter ones too).
pub const MIN_STATS_SAMPLING_INTERVAL: Duration = Duration::from_millis(100);

/// The shortest flush interval of the writer thread (1 ms; a zero interval
/// would keep an idle writer thread spinning).
pub const MIN_FLUSH_INTERVAL: Duration = Duration::from_millis(1);

/// The environment variables of a setting, for error messages.
fn env_vars(name: &str) -> &'static str {
    match name {
        "x_stats_sampling_interval" => {
            " (WANDB_X_STATS_SAMPLING_INTERVAL or WANDB__STATS_SAMPLING_INTERVAL)"
        }
        "x_file_stream_transmit_interval" => " (WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL)",
        _ => "",
    }
}

/// A number of seconds from the environment or a settings file (see
/// [`duration::parse_secs`]); the error names the setting and its variable.
pub(super) fn parse_secs(name: &str, text: &str) -> Result<Duration> {
    duration::parse_secs(name, text).map_err(|e| match e {
        Error::InvalidSetting { name, reason } => Error::InvalidSetting {
            reason: format!("{reason}{}", env_vars(&name)),
            name,
        },
        other => other,
    })
}

fn too_small(name: &str, value: Duration, min: Duration) -> Result<()> {
    if value >= min {
        return Ok(());
    }
    Err(Error::InvalidSetting {
        name: name.into(),
        reason: format!(
            "{value:?} is shorter than the minimum {min:?}{}; use a longer interval",
            env_vars(name)
        ),
    })
}

impl Settings {
    /// Checks the time settings: the sampling interval is at least
    /// [`MIN_STATS_SAMPLING_INTERVAL`], the flush interval at least
    /// [`MIN_FLUSH_INTERVAL`], the finish timeout positive. `init` calls it
    /// after applying every option.
    pub fn validate(&self) -> Result<()> {
        too_small(
            "x_stats_sampling_interval",
            self.stats_sampling_interval,
            MIN_STATS_SAMPLING_INTERVAL,
        )?;
        too_small("flush_interval", self.flush_interval, MIN_FLUSH_INTERVAL)?;
        if self.finish_timeout.is_zero() {
            return Err(Error::InvalidSetting {
                name: "finish_timeout".into(),
                reason: "zero leaves no time to write the last rows to disk; use a positive \
                         timeout (Duration::MAX for no limit)"
                    .into(),
            });
        }
        self.check_label()
    }
}
