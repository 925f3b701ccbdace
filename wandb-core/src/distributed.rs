//! Runs of a training job that spans several processes (`torchrun`-style
//! launchers, SLURM, MPI wrappers that set `RANK`): the three patterns of
//! the official docs, as [`Policy`] (docs/distributed.md).
//!
//! [`from_env`] reads `RANK`, `WORLD_SIZE` and `LOCAL_RANK`; without them
//! the process is a job of one (rank 0 of 1) and every policy gives an
//! ordinary run. [`Distributed::options`] turns a policy into the
//! [`InitOptions`] of this process:
//!
//! | policy | rank 0 | other ranks |
//! |---|---|---|
//! | [`Policy::RankZeroOnly`] | the run | a disabled run (every call is a no-op) |
//! | [`Policy::RunPerRank`] | its own run in `group`, job type `rank_0` | the same, `rank_<n>` |
//! | [`Policy::Shared`] | the primary writer of one run, label `rank_0` | writers of the same run id, label `rank_<n>`, not primary, leave the finish state to rank 0 |
//!
//! ```no_run
//! use wandb_core::distributed::{self, Policy};
//! let dist = distributed::from_env()?;
//! let options = wandb_core::InitOptions::new().project("ddp");
//! let run = wandb_core::init(dist.options(&Policy::Shared { run_id: None }, options)?)?;
//! run.log(wandb_core::row! {"loss" => 0.5})?;
//! run.finish()?;
//! # Ok::<(), wandb_core::Error>(())
//! ```
//!
//! The shared run's id must be the same in every process and is agreed
//! without a server: the id in the policy, else the run id of the options
//! or `WANDB_RUN_ID`, else one derived from the launcher's job id
//! (`TORCHELASTIC_RUN_ID` unless it is `none`, then `SLURM_JOB_ID`), else
//! [`Distributed::options`] fails and says what to set. A run group without
//! a name is derived the same way.

use crate::error::{Error, Result};
use crate::init::InitOptions;
use crate::settings::Mode;
use crate::value::Value;

/// Launcher variables naming the job, in the order they are tried: the
/// same value in every process of one job, another in the next job.
const JOB_ID_VARS: [&str; 2] = ["TORCHELASTIC_RUN_ID", "SLURM_JOB_ID"];

/// How the processes of a job record their runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// Only rank 0 records; the other ranks get a disabled run, so the same
    /// code runs everywhere (the official docs' first pattern).
    RankZeroOnly,
    /// One run per process, grouped: `group` (default: the options'
    /// group or `WANDB_RUN_GROUP`, else derived from the job id), job type
    /// `rank_<n>` unless one is set, and `rank`, `local_rank`, `world_size`
    /// in the config.
    RunPerRank {
        /// The run group; `None` derives it (see the module docs).
        group: Option<String>,
    },
    /// All processes write one run (the official shared mode): label
    /// `rank_<n>`, rank 0 primary and the only one to set the finish state.
    /// Online this is `mode = "shared"`; offline each process writes its
    /// own run directory with the same id and label, as the official client.
    Shared {
        /// The run id shared by every process; `None` derives it (see the
        /// module docs).
        run_id: Option<String>,
    },
}

/// This process's place in the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distributed {
    rank: u32,
    world_size: u32,
    local_rank: Option<u32>,
    /// `(variable, value)` of the launcher's job id, if one was set.
    job_id: Option<(String, String)>,
}

/// Reads `RANK`, `WORLD_SIZE`, `LOCAL_RANK` and the launcher's job id from
/// the process environment (see [`Distributed::from_vars`]).
pub fn from_env() -> Result<Distributed> {
    Distributed::from_vars(|k| std::env::var(k).ok())
}

impl Distributed {
    /// A job of one process: rank 0 of 1.
    pub fn single() -> Distributed {
        Distributed {
            rank: 0,
            world_size: 1,
            local_rank: None,
            job_id: None,
        }
    }

    /// Reads the job from variables given by `lookup`: `RANK` and
    /// `WORLD_SIZE` (both or neither; absent is a job of one), `LOCAL_RANK`
    /// (optional), and the job id (`TORCHELASTIC_RUN_ID`, `SLURM_JOB_ID`).
    /// A value that is not a number, or a rank outside `0..WORLD_SIZE`, is
    /// an [`Error::InvalidSetting`] naming the variable.
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Distributed> {
        let get = |k: &str| {
            lookup(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let num = |k: &str| -> Result<Option<u32>> {
            get(k)
                .map(|v| {
                    v.parse::<u32>().map_err(|_| Error::InvalidSetting {
                        name: k.into(),
                        reason: format!("{v:?} is not a process number (0, 1, 2, ...)"),
                    })
                })
                .transpose()
        };
        let (rank, world_size) = match (num("RANK")?, num("WORLD_SIZE")?) {
            (None, None) => (0, 1),
            (Some(r), Some(w)) if r < w => (r, w),
            (Some(r), Some(w)) => {
                return Err(Error::InvalidSetting {
                    name: "RANK".into(),
                    reason: format!("rank {r} is not below WORLD_SIZE {w}"),
                })
            }
            (r, _) => {
                let (set, missing) = if r.is_some() {
                    ("RANK", "WORLD_SIZE")
                } else {
                    ("WORLD_SIZE", "RANK")
                };
                return Err(Error::InvalidSetting {
                    name: missing.into(),
                    reason: format!(
                        "{set} is set but {missing} is not: a launcher sets both (or unset \
                         {set} for a single process)"
                    ),
                });
            }
        };
        let job_id = JOB_ID_VARS.iter().find_map(|k| {
            get(k)
                .filter(|v| !v.eq_ignore_ascii_case("none"))
                .map(|v| ((*k).to_owned(), v))
        });
        Ok(Distributed {
            rank,
            world_size,
            local_rank: num("LOCAL_RANK")?,
            job_id,
        })
    }

    /// This process's rank (`RANK`, 0 without one).
    pub fn rank(&self) -> u32 {
        self.rank
    }

    /// The number of processes (`WORLD_SIZE`, 1 without one).
    pub fn world_size(&self) -> u32 {
        self.world_size
    }

    /// The rank on this machine (`LOCAL_RANK`; the rank when unset).
    pub fn local_rank(&self) -> u32 {
        self.local_rank.unwrap_or(self.rank)
    }

    /// True for rank 0, the process that owns a shared run's metadata and
    /// finish state.
    pub fn is_rank_zero(&self) -> bool {
        self.rank == 0
    }

    /// True when the job has more than one process.
    pub fn is_distributed(&self) -> bool {
        self.world_size > 1
    }

    /// This process's label in a shared run: `rank_<n>`.
    pub fn label(&self) -> String {
        format!("rank_{}", self.rank)
    }

    /// The id derived from the launcher's job id: 8 characters `[a-z0-9]`,
    /// the same in every process of the job. `None` without a job id.
    pub fn job_run_id(&self) -> Option<String> {
        self.job_id
            .as_ref()
            .map(|(k, v)| base36_id(&format!("{k}={v}")))
    }

    /// `base` with what `policy` sets for this process. A job of one gets
    /// `base` unchanged. Fails when a shared run id or a group is needed and
    /// cannot be agreed (see the module docs), or when `base` itself does
    /// not resolve.
    pub fn options(&self, policy: &Policy, base: InitOptions) -> Result<InitOptions> {
        if !self.is_distributed() {
            return Ok(base);
        }
        let rank = self.rank;
        Ok(match policy {
            Policy::RankZeroOnly if rank == 0 => base,
            Policy::RankZeroOnly => base.mode(Mode::Disabled),
            Policy::RunPerRank { group } => {
                let group = match group {
                    Some(g) => g.clone(),
                    None => match base.resolve()?.group {
                        Some(g) => g,
                        None => {
                            self.agreed("group", "a run group (Policy::RunPerRank { group })")?
                        }
                    },
                };
                let job_type = format!("rank_{rank}");
                base.group(group)
                    .with(move |s| {
                        if s.job_type.is_none() {
                            s.job_type = Some(job_type.clone());
                        }
                    })
                    .config_entry("rank", Value::Int(i64::from(rank)))
                    .config_entry("local_rank", Value::Int(i64::from(self.local_rank())))
                    .config_entry("world_size", Value::Int(i64::from(self.world_size)))
            }
            Policy::Shared { run_id } => {
                let id = match run_id {
                    Some(id) => id.clone(),
                    None => match base.resolve()?.run_id {
                        Some(id) => id,
                        None => self.agreed("id", "the run id (Policy::Shared { run_id })")?,
                    },
                };
                base.id(id)
                    .label(self.label())
                    .primary(rank == 0)
                    .update_finish_state(rank == 0)
                    .with(|s| s.shared = s.mode == Mode::Online)
            }
        })
    }

    /// The value every process derives from the job id, or the error that
    /// says what to set instead.
    fn agreed(&self, name: &str, what: &str) -> Result<String> {
        self.job_run_id().ok_or_else(|| Error::InvalidSetting {
            name: name.into(),
            reason: format!(
                "{what} must be the same in every process and there is no job id to derive it \
                 from ({} unset): pass it in the policy, or set it in every process \
                 (WANDB_RUN_ID / WANDB_RUN_GROUP)",
                JOB_ID_VARS.join(", ")
            ),
        })
    }
}

/// 8 characters `[a-z0-9]` from a 64-bit FNV-1a hash of `text` (stable
/// across processes, platforms and versions).
fn base36_id(text: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (0..8)
        .map(|_| {
            let c = ALPHABET[(h % 36) as usize] as char;
            h /= 36;
            c
        })
        .collect()
}

#[cfg(test)]
#[path = "distributed_tests.rs"]
mod tests;
